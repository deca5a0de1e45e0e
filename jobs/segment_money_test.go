package jobs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// avg_order_value is money to the cent, rounded half away from zero in
// DECIMAL: 263.21 over two orders is 131.61 (a DOUBLE division gave 131.60).
func TestAverageOrderValueRoundsHalfUp(t *testing.T) {
	cfg := segmentCase(t, "", map[string]string{"sales.csv": "单据日期,单据编号,客户编码,客户名称,价税合计\n" +
		"2024-05-01,D1,S1,甲,200.00\n2024-06-01,D2,S1,甲,63.21\n" +
		"2024-05-01,D3,S2,乙,0.01\n2024-06-01,D4,S2,乙,0.02\n2024-07-01,D5,S2,乙,0.02\n" +
		"2024-05-01,D6,S3,丙,100.05\n2024-06-01,D7,S3,丙,-0.04\n2024-06-02,D8,S3,丙,0.04\n"}, nil)
	mustRun(t, cfg, "2024-12-31")
	got := snapshotRows(t, cfg, "2024-12-31", "customer_key, monetary, frequency, avg_order_value")
	// S2: 0.05 / 3 = 0.01666 -> 0.02; S3: 100.05 / 2 = 50.025 -> 50.03.
	want := []string{"S1 263.21 2 131.61", "S2 0.05 3 0.02", "S3 100.05 2 50.03"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("snapshot (-want +got):\n%s", diff)
	}
}
