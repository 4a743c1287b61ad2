package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Schedule is a workflow schedule and its firing state.
type Schedule struct {
	Workflow      string            `json:"workflow"`
	Name          string            `json:"name"`
	Cron          string            `json:"cron"`
	Timezone      string            `json:"timezone,omitempty"`
	Start         time.Time         `json:"start,omitzero"`
	End           time.Time         `json:"end,omitzero"`
	Jitter        string            `json:"jitter,omitempty"`
	Catchup       string            `json:"catchup" enum:"none,latest,all"`
	CatchupWindow string            `json:"catchup_window,omitempty"`
	Overlap       string            `json:"overlap" enum:"skip,buffer_one,buffer_all,cancel_other,allow_all"`
	Params        map[string]string `json:"params,omitempty"`
	Paused        bool              `json:"paused"`
	Note          string            `json:"note,omitempty"`
	// NextDue is the next due time (absent once the schedule has ended),
	// NextFire when it fires: NextDue plus the schedule's jitter.
	NextDue  time.Time `json:"next_due,omitzero"`
	NextFire time.Time `json:"next_fire,omitzero"`
	// Buffered counts due times waiting for active runs to end.
	Buffered int `json:"buffered"`
	// Lateness is how long after their fire time the runs the schedule
	// fired, among its latest 100, were created.
	Lateness Lateness `json:"lateness"`
}

// Lateness summarises firing delays, in milliseconds.
type Lateness struct {
	Runs  int     `json:"runs"`
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

// NextFires is a schedule with its next due times.
type NextFires struct {
	Schedule Schedule    `json:"schedule"`
	Due      []time.Time `json:"due"`
}

// ScheduleNote goes with a pause or a resume, into the audit trail.
type ScheduleNote struct {
	Note string `json:"note,omitempty" maxLength:"1000"`
}

// BackfillRequest asks for a schedule's runs due in [From, To].
type BackfillRequest struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Backfill counts the runs a backfill created, and those that existed.
type Backfill struct {
	Created  int     `json:"created"`
	Existing int     `json:"existing"`
	RunIDs   []int64 `json:"run_ids"`
}

func schedulePath(workflow, name, action string) string {
	p := "/api/v1/workflows/" + url.PathEscape(workflow) + "/schedules/" + url.PathEscape(name)
	if action != "" {
		p += "/" + action
	}
	return p
}

// Schedules lists every schedule.
func (c *Client) Schedules(ctx context.Context) ([]Schedule, error) {
	var out []Schedule
	err := c.do(ctx, http.MethodGet, "/api/v1/schedules", nil, nil, &out)
	return out, err
}

// NextFires returns a schedule and its next n due times.
func (c *Client) NextFires(ctx context.Context, workflow, name string, n int) (NextFires, error) {
	var out NextFires
	err := c.do(ctx, http.MethodGet, schedulePath(workflow, name, "next"), url.Values{"n": {strconv.Itoa(n)}}, nil, &out)
	return out, err
}

// PauseSchedule pauses (action "pause") or resumes ("resume") a schedule.
func (c *Client) PauseSchedule(ctx context.Context, workflow, name, action, note string) (Schedule, error) {
	var out Schedule
	err := c.do(ctx, http.MethodPost, schedulePath(workflow, name, action), nil, ScheduleNote{Note: note}, &out)
	return out, err
}

// TriggerSchedule starts a run of the schedule now.
func (c *Client) TriggerSchedule(ctx context.Context, workflow, name string) (Run, error) {
	var out Run
	err := c.do(ctx, http.MethodPost, schedulePath(workflow, name, "trigger"), nil, struct{}{}, &out)
	return out, err
}

// Backfill creates the schedule's runs due in a time range; repeating it
// creates nothing new.
func (c *Client) Backfill(ctx context.Context, workflow, name string, req BackfillRequest) (Backfill, error) {
	var out Backfill
	err := c.do(ctx, http.MethodPost, schedulePath(workflow, name, "backfill"), nil, req, &out)
	return out, err
}
