package workflow_test

import (
	"fmt"
	"time"

	"github.com/baton-sched/baton/internal/workflow"
)

func Example() {
	src := []byte(`name: nightly-etl
params:
  region: eu
tasks:
  - name: extract
    run: ./extract.sh --day ${{ run.scheduled_date }} --region ${{ params.region }}
  - name: load
    needs: [extract]
    run: ./load.sh ${{ tasks.extract.outputs.file }}
`)
	def, err := workflow.Parse("etl.yaml", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	params, _ := workflow.ResolveParams(def, nil)
	for _, n := range def.Graph().Nodes {
		cmd, err := workflow.Render(n.Run, workflow.Scope{
			Params:        params,
			ScheduledTime: time.Date(2024, 3, 1, 2, 0, 0, 0, time.UTC),
			Outputs:       map[string]map[string]string{"extract": {"file": "/data/orders.csv"}},
		})
		fmt.Println(n.Name, n.Upstream, n.OutputRefs(), cmd, err)
	}
	// Output:
	// extract [] [] ./extract.sh --day 2024-03-01 --region eu <nil>
	// load [0] [extract] ./load.sh /data/orders.csv <nil>
}

func ExampleParse_errors() {
	src := []byte(`name: etl
tasks:
  - name: extract
    run: ./extract.sh
    retires: 3
  - name: load
    needs: [extrct]
    run: ./load.sh
    timeout: 90
`)
	_, err := workflow.Parse("etl.yaml", src)
	fmt.Println(err)
	// Output:
	// etl.yaml:5: tasks[0]: unknown field "retires" (did you mean "retry"?)
	// etl.yaml:7: tasks[1].needs[0]: unknown task "extrct" (did you mean "extract"?)
	// etl.yaml:9: tasks[1].timeout: must be a duration with a unit, such as "90s" or "1h30m", got 90
}
