package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"

	"custcat/pipeline"
	custsql "custcat/sql"
)

// ErrHeld means the run committed and wrote its report, but held its
// category file back: custcat accept puts it in place.
var ErrHeld = errors.New("run held")

// HeldError says why a run held its category file back, with the numbers.
type HeldError struct {
	RunID   int64
	File    string // the category file held back: categories.csv, categories.xlsx
	Reasons []string
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("run %d held, %s not replaced: %s", e.RunID, e.File, strings.Join(e.Reasons, "; "))
}

func (e *HeldError) Is(target error) bool { return target == ErrHeld }

// heldDir is where a held run leaves the category file and its manifest,
// beside the outputs, for custcat accept.
const heldDir = "held"

// guardReasons says why the category file of the run should not replace
// the one the ERP has: nobody could be scored; every sales file of the run
// failed; or, against the file in place, too many customers would change
// ERP code, or the number of scored customers would change too much. A
// first run (no file in place) is judged by the first two only. It reads
// the snapshot of the run, inside its transaction.
func guardReasons(ctx context.Context, c *sql.Conn, cfg *pipeline.Config, res *RunResult, asOfGiven bool) ([]heldReason, error) {
	if cfg.Guard.Off {
		return nil, nil
	}
	var reasons []heldReason
	var scored int64
	if err := c.QueryRowContext(ctx, custsql.Query("GuardScored"), res.AsOf).Scan(&scored); err != nil {
		return nil, fmt.Errorf("guard: %w", err)
	}
	if scored == 0 {
		r := heldReason{
			en: fmt.Sprintf("no customer could be scored as of %s (none has an order in the window of %d days)", res.AsOf, cfg.WindowDays),
			zh: fmt.Sprintf("截至 %s 没有可评分的客户（%d 天的窗口内没有客户下过订单）", res.AsOf, cfg.WindowDays),
		}
		var from, to sql.NullString
		if err := c.QueryRowContext(ctx, custsql.Query("GuardDataRange")).Scan(&from, &to); err != nil {
			return nil, fmt.Errorf("guard: %w", err)
		}
		switch {
		case !to.Valid:
			r.en += "; no sales lines are loaded"
			r.zh += "；尚未载入任何销售明细"
		case !asOfGiven:
			r.en += fmt.Sprintf("; the data runs from %s to %s: to score it, run with --as-of %s", from.String, to.String, to.String)
			r.zh += fmt.Sprintf("；数据范围为 %s 至 %s：要为其评分，请加 --as-of %s 运行", from.String, to.String, to.String)
		default:
			r.en += fmt.Sprintf("; the data runs from %s to %s", from.String, to.String)
			r.zh += fmt.Sprintf("；数据范围为 %s 至 %s", from.String, to.String)
		}
		reasons = append(reasons, r)
	}
	sales, failed := 0, 0
	for _, f := range res.Load.Files {
		src, ok := cfg.SourceFor(f.Name)
		if ok && src.Kind == pipeline.KindCustomers {
			continue
		}
		switch f.Status {
		case "loaded":
			sales++
		case "failed":
			// A content that failed before (a rerun after a crash) was
			// judged with its run: it is no news of this night.
			if f.FailedBefore == 0 {
				failed++
			}
		}
	}
	if failed > 0 && sales == 0 && !anySkipped(res) {
		reasons = append(reasons, heldReason{
			en: fmt.Sprintf("every sales file of the run failed (%d)", failed),
			zh: fmt.Sprintf("本次运行的销售文件全部载入失败（%d 个）", failed),
		})
	}
	var placed bool
	var placedScored sql.NullInt64
	if err := c.QueryRowContext(ctx, custsql.Query("GuardPlaced")).Scan(&placed, &placedScored); err != nil {
		return nil, fmt.Errorf("guard: %w", err)
	}
	if !placed {
		return reasons, nil
	}
	var moved, held int64
	if err := c.QueryRowContext(ctx, custsql.Query("GuardMoved"), res.AsOf).Scan(&moved, &held); err != nil {
		return nil, fmt.Errorf("guard: %w", err)
	}
	if held > 0 && float64(moved)/float64(held) > cfg.Guard.MaxMoved {
		share, most := percent(float64(moved)/float64(held)), percent(cfg.Guard.MaxMoved)
		reasons = append(reasons, heldReason{
			en: fmt.Sprintf("%d of the %d customers in the file in place (%s) would change ERP category, more than guard.max_moved %s", moved, held, share, most),
			zh: fmt.Sprintf("现用文件的 %d 位客户中有 %d 位（%s）的 ERP 类别将改变，超过 guard.max_moved %s", held, moved, share, most),
		})
	}
	if placedScored.Valid && placedScored.Int64 > 0 {
		change := math.Abs(float64(scored-placedScored.Int64)) / float64(placedScored.Int64)
		if change > cfg.Guard.MaxScoredChange {
			share, most := percent(change), percent(cfg.Guard.MaxScoredChange)
			reasons = append(reasons, heldReason{
				en: fmt.Sprintf("the scored customers would change from %d to %d (%s), more than guard.max_scored_change %s", placedScored.Int64, scored, share, most),
				zh: fmt.Sprintf("可评分的客户将从 %d 位变为 %d 位（%s），超过 guard.max_scored_change %s", placedScored.Int64, scored, share, most),
			})
		}
	}
	return reasons, nil
}

// heldReason is one reason of the guard, in English (the run's record,
// its error, the notices: what monitoring greps for) and in Chinese (the
// report's banner, where the report is in Chinese).
type heldReason struct{ en, zh string }

// reasonTexts are the reasons in English and in Chinese.
func reasonTexts(rs []heldReason) (en, zh []string) {
	for _, r := range rs {
		en, zh = append(en, r.en), append(zh, r.zh)
	}
	return en, zh
}

// anySkipped says whether the run met a sales file loaded before: the
// night's data is then in the database, whatever failed beside it.
func anySkipped(res *RunResult) bool {
	for _, f := range res.Load.Files {
		if f.Status == "skipped" {
			return true
		}
	}
	return false
}

func percent(share float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", 100*share), "0"), ".") + " %"
}

// HeldAdvice is what an operator does with a held run.
func HeldAdvice(configPath string) string {
	return fmt.Sprintf("look at the report and the numbers above; if the change is real, run custcat accept -c %s to put the held file in place, else fix the export or the config and run again", configPath)
}
