package pipeline

import (
	"testing"
)

// Config paths on Windows: \ and / both, relative ones under the folder of
// the config, drive and UNC paths as they are.
func TestConfigPathWindows(t *testing.T) {
	cfg := Config{dir: `C:\custcat\客户 分类`}
	for in, want := range map[string]string{
		`inbox`:                    `C:\custcat\客户 分类\inbox`,
		`exports\金蝶`:               `C:\custcat\客户 分类\exports\金蝶`,
		`exports/金蝶`:               `C:\custcat\客户 分类\exports\金蝶`,
		`..\out`:                   `C:\custcat\out`,
		`D:\erp\exports`:           `D:\erp\exports`,
		`D:/erp/exports`:           `D:/erp/exports`,
		`\\fileserver\erp\exports`: `\\fileserver\erp\exports`,
	} {
		if got := cfg.Path(in); got != want {
			t.Errorf("Path(%q) = %q, want %q", in, got, want)
		}
	}
}
