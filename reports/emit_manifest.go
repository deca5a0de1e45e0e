package reports

import "encoding/json"

// Manifest describes a category file, so that whoever imports it can check
// that the file is whole (SHA256) and what it holds. It is written beside
// the file and put in place after it.
type Manifest struct {
	File      string   `json:"file"`
	AsOf      string   `json:"as_of"`
	RunID     int64    `json:"run_id"`
	Rows      int      `json:"rows"`
	SHA256    string   `json:"sha256"`
	Columns   []string `json:"columns"`
	Fields    []string `json:"fields"`
	Encoding  string   `json:"encoding"`
	LineEnd   string   `json:"line_end"`
	Delimiter string   `json:"delimiter"`
	Preset    string   `json:"preset"`
	Mode      string   `json:"mode"`
	Warnings  []string `json:"warnings,omitempty"` // of the snapshot: collapsed cut points, manual lines not applied
	// Status is ok, partial (some input files failed: Reasons names them),
	// held (the guard held the file back, see Reasons: it lies in held/
	// and is not the ERP's file) or accepted (a held file a person put in
	// place with custcat accept).
	Status  string   `json:"status"`
	Reasons []string `json:"reasons,omitempty"`
	HeldRun int64    `json:"held_run,omitempty"` // the run that held the file
	// What the file holds for the ERP: csv or xlsx, the rows per ERP
	// category code, and for xlsx the template it was filled from.
	Format     string         `json:"format"`
	Categories map[string]int `json:"categories"`
	Template   *TemplateInfo  `json:"template,omitempty"`
}

// JSON renders the manifest, indented for people who open it.
func (m Manifest) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
