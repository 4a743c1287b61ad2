package ui

import (
	"fmt"
	"html/template"
	"slices"
	"sort"
	"strings"

	"github.com/baton-sched/baton/client/vocab"
)

// Node is a task of a DAG: its name, state ("" for a definition's DAG)
// and the tasks it needs.
type Node struct {
	Name  string
	State string
	Needs []string
	Href  string // where the node links, "" for nowhere
}

// maxPerLayer is how many nodes a layer draws one by one; a wider layer
// is drawn as one group node counting its tasks by state, so that a fan
// out to 1000 tasks stays readable.
const maxPerLayer = 40

const (
	nodeW, nodeH = 180, 34
	gapX, gapY   = 60, 12
	pad          = 10
)

type placed struct {
	x, y  int
	label string
	state string
	href  string
	group map[string]int // counts by state for a group node
}

// DAG lays out nodes in layers (each node one layer right of its deepest
// need) and draws them as SVG, left to right. Needs naming no node are
// ignored.
func DAG(nodes []Node) template.HTML {
	if len(nodes) == 0 {
		return template.HTML(`<p class="muted">No tasks.</p>`)
	}
	index := make(map[string]int, len(nodes))
	for i, n := range nodes {
		index[n.Name] = i
	}
	// Layers by longest path, in topological order (Kahn); nodes on a
	// cycle, which validation forbids, land in layer 0.
	layer := make([]int, len(nodes))
	indeg := make([]int, len(nodes))
	children := make([][]int, len(nodes))
	for i, n := range nodes {
		for _, d := range n.Needs {
			if j, ok := index[d]; ok {
				indeg[i]++
				children[j] = append(children[j], i)
			}
		}
	}
	queue := make([]int, 0, len(nodes))
	for i := range nodes {
		if indeg[i] == 0 {
			queue = append(queue, i)
		}
	}
	for k := 0; k < len(queue); k++ {
		i := queue[k]
		for _, c := range children[i] {
			layer[c] = max(layer[c], layer[i]+1)
			if indeg[c]--; indeg[c] == 0 {
				queue = append(queue, c)
			}
		}
	}
	depth := slices.Max(layer) + 1
	layers := make([][]int, depth)
	for i := range nodes {
		layers[layer[i]] = append(layers[layer[i]], i)
	}
	// Order each layer by the mean position of its needs (one sweep),
	// definition order breaking ties.
	pos := make([]float64, len(nodes))
	for l, ids := range layers {
		if l > 0 {
			bary := make(map[int]float64, len(ids))
			for _, i := range ids {
				sum, n := 0.0, 0
				for _, d := range nodes[i].Needs {
					if j, ok := index[d]; ok {
						sum += pos[j]
						n++
					}
				}
				if n > 0 {
					bary[i] = sum / float64(n)
				}
			}
			sort.SliceStable(ids, func(a, b int) bool { return bary[ids[a]] < bary[ids[b]] })
		}
		for k, i := range ids {
			pos[i] = float64(k)
		}
	}
	// Place nodes; a wide layer becomes one group node.
	at := make([]int, len(nodes)) // index into boxes
	var boxes []placed
	rows := 0
	for l, ids := range layers {
		x := pad + l*(nodeW+gapX)
		if len(ids) > maxPerLayer {
			g := placed{x: x, y: pad, group: map[string]int{}}
			for _, i := range ids {
				g.group[nodes[i].State]++
				at[i] = len(boxes)
			}
			g.label = fmt.Sprintf("%d tasks", len(ids))
			g.state = groupState(g.group)
			boxes = append(boxes, g)
			rows = max(rows, 3)
			continue
		}
		for k, i := range ids {
			at[i] = len(boxes)
			boxes = append(boxes, placed{x: x, y: pad + k*(nodeH+gapY), label: nodes[i].Name,
				state: nodes[i].State, href: nodes[i].Href})
		}
		rows = max(rows, len(ids))
	}
	width := pad*2 + depth*(nodeW+gapX) - gapX
	height := pad*2 + rows*(nodeH+gapY) - gapY

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="dag" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="task graph">`,
		width, height, width, height)
	b.WriteString(`<g class="edges">`)
	seen := map[[2]int]bool{}
	for i, n := range nodes {
		for _, d := range n.Needs {
			j, ok := index[d]
			if !ok {
				continue
			}
			from, to := at[j], at[i]
			if seen[[2]int{from, to}] {
				continue
			}
			seen[[2]int{from, to}] = true
			f, t := boxes[from], boxes[to]
			x1, y1 := f.x+nodeW, f.y+boxHeight(f)/2
			x2, y2 := t.x, t.y+boxHeight(t)/2
			fmt.Fprintf(&b, `<path d="M%d %d C%d %d,%d %d,%d %d"/>`, x1, y1, x1+gapX/2, y1, x2-gapX/2, y2, x2, y2)
		}
	}
	b.WriteString(`</g>`)
	for _, p := range boxes {
		writeBox(&b, p)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func boxHeight(p placed) int {
	if p.group != nil {
		return 3*nodeH + 2*gapY
	}
	return nodeH
}

func writeBox(b *strings.Builder, p placed) {
	esc := template.HTMLEscapeString
	st := p.state
	if p.href != "" {
		fmt.Fprintf(b, `<a href="%s">`, esc(p.href))
	}
	fmt.Fprintf(b, `<g class="node s-%s" data-task="%s" data-state="%s">`, esc(stateClass(st)), esc(p.label), esc(st))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" rx="5"/>`, p.x, p.y, nodeW, boxHeight(p))
	fmt.Fprintf(b, `<title>%s%s</title>`, esc(p.label), esc(stateSuffix(st)))
	fmt.Fprintf(b, `<text x="%d" y="%d">%s %s</text>`, p.x+8, p.y+21, esc(stateIcon(st)), esc(truncate(p.label, 22)))
	if p.group != nil {
		y := p.y + 21 + 18
		keys := make([]string, 0, len(p.group))
		for k := range p.group {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(b, `<text class="sub" x="%d" y="%d">%s %d %s</text>`, p.x+8, y, esc(stateIcon(k)), p.group[k], esc(cmpOr(k, "tasks")))
			y += 16
			if y > p.y+boxHeight(p)-6 {
				break
			}
		}
	}
	b.WriteString(`</g>`)
	if p.href != "" {
		b.WriteString(`</a>`)
	}
}

// groupState is the state a group node shows: the worst of its tasks.
func groupState(counts map[string]int) string {
	for _, s := range []string{vocab.TaskFailed, vocab.TaskUpstreamFailed, vocab.TaskRunning, vocab.TaskRetryWait, vocab.TaskQueued, vocab.TaskPending, vocab.TaskCancelled, vocab.TaskSkipped, vocab.TaskSucceeded} {
		if counts[s] > 0 {
			return s
		}
	}
	return ""
}

func stateSuffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// truncate shortens s to n runes with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// stateIcon is a symbol per state, so that a state reads without colour.
func stateIcon(s string) string {
	switch s {
	case vocab.TaskSucceeded:
		return "✓"
	case vocab.TaskFailed, vocab.AttemptTimedOut:
		return "✗"
	case vocab.TaskRunning, vocab.AttemptDispatched:
		return "▶"
	case vocab.TaskQueued:
		return "…"
	case vocab.TaskPending, "":
		return "○"
	case vocab.TaskRetryWait:
		return "↻"
	case vocab.TaskSkipped:
		return "»"
	case vocab.TaskCancelled, vocab.AttemptFenced:
		return "⊘"
	case vocab.TaskUpstreamFailed:
		return "⚠"
	case vocab.AttemptLost:
		return "☠"
	case vocab.RunPaused:
		return "‖"
	case vocab.WorkerActive:
		return "●"
	case vocab.WorkerDraining:
		return "↓"
	}
	return "•"
}

// stateClass maps a state to its CSS class suffix.
func stateClass(s string) string {
	switch s {
	case vocab.TaskSucceeded, vocab.WorkerActive, vocab.ApprovalApproved:
		return "ok"
	case vocab.TaskFailed, vocab.AttemptTimedOut, vocab.TaskUpstreamFailed, vocab.AttemptLost, vocab.ApprovalRejected:
		return "bad"
	case vocab.TaskRunning, vocab.AttemptDispatched:
		return "run"
	case vocab.TaskRetryWait, vocab.RunPaused, vocab.WorkerDraining:
		return "wait"
	case "":
		return "none"
	}
	return "idle"
}
