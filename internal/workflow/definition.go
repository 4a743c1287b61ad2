package workflow

import (
	"time"

	"github.com/baton-sched/baton/internal/taskkind"
)

// Definition is one version of a workflow as a user writes it (YAML or JSON).
// It is validated whole by Parse before anything uses it; the engine stores it
// as JSON and never mutates it. Graph compiles it into the form that runs.
type Definition struct {
	// Name identifies the workflow: lowercase letters, digits, "_" and "-",
	// at most 100 characters.
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// OnFailure is what a task failing (once its retries are spent) does
	// to the rest of its run: OnFailureContinue (the default: independent
	// branches run to the end) or OnFailureStop (cancel what runs, start
	// nothing more, the run fails at once).
	OnFailure string `json:"on_failure,omitempty"`
	// MaxActiveRuns, when positive, is how many runs of the workflow may be
	// active (running or paused) at once; more wait queued, oldest first.
	MaxActiveRuns int `json:"max_active_runs,omitempty"`
	// Timeout limits a run: past it, what runs is cancelled and the run
	// fails. Zero means none. (Defaults.Timeout limits each attempt.)
	Timeout Duration `json:"timeout,omitzero"`
	// Retention, when set, is how long the workflow's finished runs are
	// kept (it overrides the servers' retention.runs); zero keeps them
	// forever. Nil means the servers' setting.
	Retention *Duration `json:"retention,omitempty"`
	// Params are the run parameters, by name.
	Params map[string]Param `json:"params,omitempty"`
	// Defaults apply to every task that does not set the field itself.
	Defaults Defaults `json:"defaults,omitzero"`
	// Tasks are the nodes of the DAG, in definition order (which breaks ties
	// in Graph's order). There is at least one.
	Tasks []Task `json:"tasks"`
	// Schedules fire runs of the workflow by themselves. YAML may give one
	// as `schedule:` (named "default") or several as `schedules:`; Parse
	// returns them here in either case.
	Schedules []Schedule `json:"schedules,omitempty"`
	// On lists the events that start runs besides schedules (see On).
	On *On `json:"on,omitempty"`
}

// Trigger rules of a task (Airflow's names). A skipped upstream counts as
// succeeded; an upstream_failed one as failed.
const (
	// RuleAllSuccess: every upstream succeeded (the default); if one
	// failed, the task ends upstream_failed.
	RuleAllSuccess = "all_success"
	// RuleAllDone: every upstream ended, however.
	RuleAllDone = "all_done"
	// RuleOneFailed: at least one upstream failed (it runs at once); if
	// they all succeeded, the task is skipped. For clean-up and alerts.
	RuleOneFailed = "one_failed"
	// RuleNoneFailed: no upstream failed. As skipped upstream count as
	// succeeded, this is RuleAllSuccess; kept for Airflow's users.
	RuleNoneFailed = "none_failed"
)

// Failure strategies of a workflow.
const (
	OnFailureContinue = "continue"
	OnFailureStop     = "stop"
)

// Param declares a run parameter. A parameter without a default must be given
// when a run starts.
type Param struct {
	// Default is the value used when a run does not give one; nil means the
	// parameter is required. Numbers and booleans are kept as written.
	Default     *string `json:"default,omitempty"`
	Description string  `json:"description,omitempty"`
}

// Defaults apply to every task that does not set the field itself.
type Defaults struct {
	Timeout Duration          `json:"timeout,omitzero"`
	Retry   *Retry            `json:"retry,omitempty"`
	Group   string            `json:"group,omitempty"`
	CU      float64           `json:"cu,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	// Labels are worker labels every task requires; a task's Labels add
	// to them, and win on the same name.
	Labels map[string]string `json:"labels,omitempty"`
	// Zones limits the zones of every task that sets no Zones itself.
	Zones *Zones `json:"zones,omitempty"`
	// Slot is the concurrency slot of every task that names none.
	Slot string `json:"slot,omitempty"`
}

// Task is one node of the workflow DAG.
type Task struct {
	// Name is unique in the workflow; same rules as Definition.Name.
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Needs names the tasks that must succeed before this one starts
	// (Airflow's upstream tasks).
	Needs []string `json:"needs,omitempty"`
	// Run is the command of a shell task, a template (see
	// RenderCommand); empty for other kinds.
	Run string `json:"run,omitempty"`
	// Kind names the task's kind (client/vocab): the kind whose block
	// the task gives, else shell (run). Empty means shell.
	Kind string `json:"-"`
	// Spec is the kind's block (package taskkind): for the http kind an
	// *http.Block, for noop a *noop.Block, nil for shell. In JSON it is
	// written under the kind's keys (http: {...}, workflow: NAME), as in
	// YAML.
	Spec taskkind.Spec `json:"-"`
	// Env adds environment variables (values are templates) to
	// Defaults.Env.
	Env map[string]string `json:"env,omitempty"`
	// Timeout limits each attempt; zero means Defaults.Timeout.
	Timeout Duration `json:"timeout,omitzero"`
	// CU is the capacity the task takes on a worker (> 0); zero means
	// Defaults.CU, else 1.
	CU float64 `json:"cu,omitempty"`
	// Group is the worker group to run on; empty means Defaults.Group,
	// else "default".
	Group string `json:"group,omitempty"`
	// Labels are worker labels (name -> value) a worker must carry, every
	// one with exactly that value, to run the task. They add to
	// Defaults.Labels, and win on the same name. See CheckLabels for what
	// names and values may look like.
	Labels map[string]string `json:"labels,omitempty"`
	// Zones limits the zones the task may run in; nil means
	// Defaults.Zones. A task's Zones replaces Defaults.Zones whole.
	Zones *Zones `json:"zones,omitempty"`
	// Priority orders ready tasks: higher first.
	Priority int `json:"priority,omitempty"`
	// TriggerRule says when the task runs, by how its upstream tasks
	// ended: RuleAllSuccess (empty), RuleAllDone, RuleOneFailed or
	// RuleNoneFailed.
	TriggerRule string `json:"trigger_rule,omitempty"`
	// Rerunnable false forbids restarting the task automatically after its
	// worker was lost; nil means true.
	Rerunnable *bool `json:"rerunnable,omitempty"`
	// Retry overrides Defaults.Retry.
	Retry *Retry `json:"retry,omitempty"`
	// Slot names a concurrency slot (Airflow's pool) the task takes while
	// it runs: at most the slot's size of such tasks run at once, across
	// workflows. Empty means Defaults.Slot, else none.
	Slot string `json:"slot,omitempty"`
	// Resources names files or directories of the resource centre the
	// worker materialises, read-only, in the attempt's working directory
	// before a run task starts; unpinned names take the version that is
	// latest when the run starts.
	Resources []ResourceRef `json:"resources,omitempty"`
}

// Schedule is one schedule of a workflow: when it fires runs (see package
// schedule, which Spec feeds), what it does about missed and overlapping
// runs, and the parameters of its runs. Parse checks every field, and that
// Params give every required parameter of the workflow and no other.
type Schedule struct {
	// Name is unique in the workflow; same rules as task names. Required
	// in `schedules:`; "default" for the `schedule:` shorthand (where a
	// name may still be given).
	Name string `json:"name"`
	// Cron says when the schedule is due: five cron fields, six with
	// seconds first, a macro such as @daily, or "@every 30s" (see
	// schedule.Spec).
	Cron string `json:"cron"`
	// Timezone is the IANA zone the cron fields are read in; empty means
	// UTC.
	Timezone string `json:"timezone,omitempty"`
	// Start and End, when set, bound the due times (both included). RFC
	// 3339 in YAML.
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// Jitter, when set, delays each firing by up to that much, the same
	// delay on every server (schedule.Schedule.JitterFor).
	Jitter Duration `json:"jitter,omitzero"`
	// Catchup is what happens to due times missed while no server fired
	// them: "none", "latest" or "all" (see schedule.Catchup); empty means
	// "latest".
	Catchup string `json:"catchup,omitempty"`
	// CatchupWindow bounds how late a due time may fire: for "all", how
	// far back missed due times are still fired; for "none", how late a
	// tick may be and still fire; "latest" ignores it. Zero means the
	// engine's default.
	CatchupWindow Duration `json:"catchup_window,omitzero"`
	// Overlap is what happens when the schedule is due while a run it
	// started is still active: "skip", "buffer_one", "buffer_all",
	// "cancel_other" or "allow_all" (see schedule.Overlap); empty means
	// "skip".
	Overlap string `json:"overlap,omitempty"`
	// Params are the parameters of the runs it starts; numbers and
	// booleans are kept as written, like Param.Default.
	Params map[string]string `json:"params,omitempty"`
	// Paused schedules are created paused: they fire nothing until resumed.
	Paused bool `json:"paused,omitempty"`
}

// Retry is a task's retry policy, as written: Parse checks that it sets
// exactly the fields its strategy requires or uses (see the Strategy
// constants), and the engine turns it into a retry.Policy. Zero fields are
// unset.
type Retry struct {
	// Strategy is StrategyNone, StrategyFixed, StrategyExponential or
	// StrategyFailureRate.
	Strategy string `json:"strategy"`
	// MaxAttempts (fixed, exponential) is how many attempts may fail, the
	// first included, before the task fails; at least 1.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// Delay is the wait before a new attempt (fixed, failure_rate), or the
	// first wait (exponential, where it is more than 0).
	Delay Duration `json:"delay,omitzero"`
	// Factor (exponential) multiplies the wait after each further failure;
	// more than 1, and 0 means 2.
	Factor float64 `json:"factor,omitempty"`
	// MaxDelay (exponential) caps the wait; 0 means no cap, else it is at
	// least Delay.
	MaxDelay Duration `json:"max_delay,omitzero"`
	// Jitter (exponential), in [0, 1], is the fraction of each wait that
	// is random: up to that fraction is taken off it.
	Jitter float64 `json:"jitter,omitempty"`
	// MaxFailures (failure_rate) is how many failures are tolerated within
	// Interval; at least 1.
	MaxFailures int `json:"max_failures,omitempty"`
	// Interval (failure_rate) is the sliding window failures are counted
	// in; more than 0.
	Interval Duration `json:"interval,omitzero"`
	// RetryOn (any strategy but none) lists the outcomes that may be
	// retried: OutcomeFailed, OutcomeTimedOut, OutcomeLost, without
	// repeats. Nil means all three.
	RetryOn []string `json:"retry_on,omitempty"`
}

// Zones limits where a task may run, by the zone its worker declares. At
// least one list is set, neither is empty when set, and no zone is in
// both; repeats are harmless. See CheckZone for what names may look like.
type Zones struct {
	// Allow lists the only zones the task may run in; empty means any
	// zone not denied.
	Allow []string `json:"allow,omitempty"`
	// Deny lists zones the task never runs in.
	Deny []string `json:"deny,omitempty"`
}
