package workflow

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// payloads try to break out of every kind of quoting.
var payloads = []string{
	`x"; id -un; echo "INJECTED`,
	`x'; id -un; echo 'INJECTED`,
	"$(id -un)`id -un`${HOME}$HOME",
	"a\nEOF\nid -un\ncat <<EOF\nb",
	`\`, `\"`, `'`, `"`, "  two  spaces *", "",
	"line1\nline2",
}

// TestRenderCommandNeverParsesValues renders templates with expressions
// in every quoting context, runs them with /bin/sh and checks each value
// comes out as written, never run.
func TestRenderCommandNeverParsesValues(t *testing.T) {
	for _, tc := range []struct {
		tmpl string
		want func(v string) string // what the command prints
	}{
		{`printf '%s|' ${{ params.v }} end`, func(v string) string { return v + "|end|" }},
		{`printf '%s|' "a ${{ params.v }} b"`, func(v string) string { return "a " + v + " b|" }},
		{`printf '%s|' 'a ${{ params.v }} b'`, func(v string) string { return "a " + v + " b|" }},
		{`printf '%s|' x${{ params.v }}y"${{ params.v }}"'${{ params.v }}'`, func(v string) string { return "x" + v + "y" + v + v + "|" }},
		{`printf '%s|' "$(printf '%s' ${{ params.v }})"`, func(v string) string { return v + "|" }},
		{"printf '%s|' \"`printf '%s' ${{ params.v }}`\"", func(v string) string { return strings.TrimRight(v, "\n") + "|" }},
		{`printf '%s|' "${UNSET:-${{ params.v }}}"`, func(v string) string { return v + "|" }},
		{`printf '%s|' ${UNSET:-${{ params.v }}}`, func(v string) string { return v + "|" }},
		{"cat <<EOF\n${{ params.v }} and $HOME\nEOF\necho after", func(v string) string { return v + " and /home/h\nafter\n" }},
		{"cat <<-EOF\n\t${{ params.v }}\n\tEOF\necho after # ${{ params.v }}", func(v string) string { return v + "\nafter\n" }},
		{"echo start # a comment ${{ params.v }}\necho after", func(string) string { return "start\nafter\n" }},
	} {
		for _, v := range payloads {
			cmd, vars, err := RenderCommand(tc.tmpl, Scope{Params: map[string]string{"v": v}})
			if err != nil {
				t.Errorf("%q: %v", tc.tmpl, err)
				continue
			}
			c := exec.Command("/bin/sh", "-c", cmd)
			c.Env = []string{"HOME=/home/h", "PATH=" + os.Getenv("PATH")}
			for k, val := range vars {
				c.Env = append(c.Env, k+"="+val)
			}
			out, err := c.CombinedOutput()
			want := tc.want(v)
			if err != nil || string(out) != want {
				t.Errorf("template %q with %q\nrendered %q\nprinted %q (%v)\nwant    %q", tc.tmpl, v, cmd, out, err, want)
			}
		}
	}
}

func TestRenderCommand(t *testing.T) {
	s := Scope{Params: map[string]string{"who": "x", "day": "2024-01-01"}, RunID: 7}
	for tmpl, want := range map[string]string{
		`echo hello ${{ params.who }}`:                                `echo hello "${BATON_TPL_1}"`,
		`echo "hello ${{ params.who }}"`:                              `echo "hello ${BATON_TPL_1}"`,
		`echo 'hello ${{ params.who }}'`:                              `echo 'hello '"${BATON_TPL_1}"''`,
		`./x --day=${{ params.day }} ${{ run.id }} ${{ params.day }}`: `./x --day="${BATON_TPL_1}" "${BATON_TPL_2}" "${BATON_TPL_1}"`,
		`echo $${{ not.an.expression }}`:                              `echo ${{ not.an.expression }}`,
	} {
		got, vars, err := RenderCommand(tmpl, s)
		if err != nil || got != want {
			t.Errorf("RenderCommand(%q) = %q, %v; want %q", tmpl, got, err, want)
		}
		if strings.Contains(tmpl, "params.day") && (vars["BATON_TPL_1"] != "2024-01-01" || vars["BATON_TPL_2"] != "7") {
			t.Errorf("vars of %q: %v", tmpl, vars)
		}
	}
	for tmpl, msg := range map[string]string{
		`echo $(( ${{ params.who }} + 1 ))`:   "not allowed in an arithmetic expansion",
		"cat <<'EOF'\n${{ params.who }}\nEOF": "here-document with a quoted delimiter",
		`echo \${{ params.who }}`:             "cannot follow a backslash",
		`echo ${{ params.nope }}`:             `parameter "nope" has no value`,
	} {
		if _, _, err := RenderCommand(tmpl, s); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("RenderCommand(%q): %v, want %q", tmpl, err, msg)
		}
	}
}
