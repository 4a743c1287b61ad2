package workflow

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A task's run command is shell text, and the values its expressions
// stand for (parameters, upstream outputs) come from whoever starts a run
// or from another task. They are never pasted into the text: RenderCommand
// replaces each expression with a reference to an environment variable
// that the worker sets to the value, quoted for where the expression
// stands, so the shell expands it as one word and never parses it:
//
//	echo hello ${{ params.who }}      echo hello "${BATON_TPL_1}"
//	echo "hello ${{ params.who }}"    echo "hello ${BATON_TPL_1}"
//	echo 'hello ${{ params.who }}'    echo 'hello '"${BATON_TPL_1}"''
//	cat <<EOF                         cat <<EOF
//	${{ params.who }}                 ${BATON_TPL_1}
//	EOF                               EOF
//
// Expressions are refused where no quoting makes a value safe: inside an
// arithmetic expansion $(( )), in a here-document whose delimiter is quoted
// (its body is not expanded), and right after a backslash.

// TemplateVarPrefix starts the names of the variables RenderCommand sets.
const TemplateVarPrefix = "BATON_TPL_"

// quoting is how an expression is written for where it stands.
type quoting int

const (
	quoteWord   quoting = iota // unquoted: "${V}"
	quoteBare                  // inside "...", an unquoted here-document or a comment: ${V}
	quoteSingle                // inside '...': '"${V}"'
)

// spot is where an expression stands in a command, or why it may not.
type spot struct {
	q      quoting
	refuse string
}

// RenderCommand expands a run command for the shell: it returns the text
// with each expression replaced by a quoted reference to a variable, and
// the variables (name -> value) the worker must set. It fails like Render
// for a reference s cannot resolve, and for an expression where no
// quoting is safe.
func RenderCommand(tmpl string, s Scope) (string, map[string]string, error) {
	parts, errs := parseTemplate(tmpl)
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.msg)
	}
	spots := shellSpots(parts)
	var b strings.Builder
	var vars map[string]string
	names := map[string]string{} // expression -> variable
	for i, p := range parts {
		if p.ref == nil {
			b.WriteString(p.text)
			continue
		}
		if spots[i].refuse != "" {
			msgs = append(msgs, fmt.Sprintf("%s: %s", p.ref.expr, spots[i].refuse))
			continue
		}
		v, err := p.ref.value(s)
		if err != nil {
			msgs = append(msgs, err.Error())
			continue
		}
		name, ok := names[p.ref.expr]
		if !ok {
			name = TemplateVarPrefix + strconv.Itoa(len(names)+1)
			names[p.ref.expr] = name
			if vars == nil {
				vars = map[string]string{}
			}
			vars[name] = v
		}
		switch spots[i].q {
		case quoteWord:
			b.WriteString(`"${` + name + `}"`)
		case quoteBare:
			b.WriteString(`${` + name + `}`)
		case quoteSingle:
			b.WriteString(`'"${` + name + `}"'`)
		}
	}
	if len(msgs) > 0 {
		return "", nil, errors.New(strings.Join(slices.Compact(msgs), "; "))
	}
	return b.String(), vars, nil
}

// Shell lexer frames: what encloses the text being read.
const (
	frameTop      = 't' // the command itself
	frameCmdSub   = 'c' // $( ... )
	frameBacktick = 'b' // ` ... `
	frameParam    = 'p' // ${ ... }
	frameArith    = 'a' // $(( ... ))
	frameDouble   = 'd' // " ... "
	frameSingle   = 's' // ' ... '
	frameHeredoc  = 'h' // the body of <<EOF (expanded)
	frameLiteral  = 'l' // the body of <<'EOF' (not expanded)
)

type frame struct {
	kind  byte
	depth int // open parentheses (cmdsub, arith)
}

// heredoc is a here-document whose body starts at the next line.
type heredoc struct {
	delim  string
	quoted bool
	strip  bool // <<-: leading tabs are not part of the lines
}

// lexer follows a command's shell syntax far enough to know, for every
// expression, what quotes and expansions enclose it.
type lexer struct {
	stack   []frame
	escape  bool // the last character was an escaping backslash
	comment bool
	prev    byte // last character read outside comments, 0 at the start
	pending []heredoc
	doc     heredoc         // the here-document being read
	line    strings.Builder // its current line
	lineRef bool            // an expression stands in that line
}

// shellSpots returns, for each reference part, where it stands.
func shellSpots(parts []part) []spot {
	lx := &lexer{stack: []frame{{kind: frameTop}}}
	out := make([]spot, len(parts))
	for i, p := range parts {
		if p.ref != nil {
			out[i] = lx.spot()
			lx.prev = 'x'
			if top := lx.top(); top.kind == frameHeredoc || top.kind == frameLiteral {
				lx.lineRef = true
			}
			continue
		}
		lx.read(p.text)
	}
	return out
}

func (lx *lexer) top() *frame { return &lx.stack[len(lx.stack)-1] }

func (lx *lexer) push(kind byte) { lx.stack = append(lx.stack, frame{kind: kind}) }

func (lx *lexer) pop() {
	if len(lx.stack) > 1 {
		lx.stack = lx.stack[:len(lx.stack)-1]
	}
}

// spot says how an expression standing here is written.
func (lx *lexer) spot() spot {
	if lx.escape {
		return spot{refuse: "an expression cannot follow a backslash"}
	}
	if lx.comment {
		return spot{q: quoteBare}
	}
	switch lx.top().kind {
	case frameSingle:
		return spot{q: quoteSingle}
	case frameDouble, frameHeredoc:
		return spot{q: quoteBare}
	case frameLiteral:
		return spot{refuse: "not expanded in a here-document with a quoted delimiter (write <<" +
			lx.doc.delim + ", unquoted)"}
	case frameArith:
		return spot{refuse: "not allowed in an arithmetic expansion $(( )): set a variable in env and use it"}
	case frameParam:
		for i := len(lx.stack) - 2; i >= 0; i-- {
			switch lx.stack[i].kind {
			case frameDouble, frameHeredoc:
				return spot{q: quoteBare}
			case frameParam:
				continue
			}
			break
		}
	}
	return spot{q: quoteWord}
}

// read follows literal command text.
func (lx *lexer) read(s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if lx.escape {
			lx.escape = false
			lx.prev = 'x'
			if c == '\n' {
				lx.prev = 0
			}
			lx.bodyChar(c)
			continue
		}
		if lx.comment {
			if c == '\n' {
				lx.comment = false
				i--
			}
			continue
		}
		switch top := lx.top(); top.kind {
		case frameLiteral, frameHeredoc:
			if c == '\n' {
				lx.endLine()
				continue
			}
			lx.line.WriteByte(c)
			if top.kind == frameHeredoc {
				n, _ := lx.expansion(s, i)
				i += n
			}
		case frameSingle:
			if c == '\'' {
				lx.pop()
			}
		case frameDouble:
			if c == '"' {
				lx.pop()
			} else {
				n, _ := lx.expansion(s, i)
				i += n
			}
		default:
			i += lx.unquoted(s, i)
		}
		if lx.top().kind != frameHeredoc && lx.top().kind != frameLiteral {
			lx.prev = c
		}
	}
}

// bodyChar keeps a here-document's line whole across escapes.
func (lx *lexer) bodyChar(c byte) {
	if k := lx.top().kind; k == frameHeredoc || k == frameLiteral {
		if c == '\n' {
			lx.endLine()
			return
		}
		lx.line.WriteByte(c)
	}
}

// expansion handles $( $(( ${ ` and backslashes where they are special
// (unquoted, in double quotes, in an expanded here-document body). It
// returns how many more bytes it consumed, and false when s[i] starts
// none of them.
func (lx *lexer) expansion(s string, i int) (int, bool) {
	switch c := s[i]; {
	case c == '\\':
		lx.escape = true
	case c == '`':
		lx.push(frameBacktick)
	case strings.HasPrefix(s[i:], "$(("):
		lx.push(frameArith)
		return 2, true
	case strings.HasPrefix(s[i:], "$("):
		lx.push(frameCmdSub)
		return 1, true
	case strings.HasPrefix(s[i:], "${"):
		lx.push(frameParam)
		return 1, true
	default:
		return 0, false
	}
	return 0, true
}

// unquoted reads one character of command text (top level, in $( ), ` `,
// ${ } or $(( ))); it returns how many more bytes it consumed.
func (lx *lexer) unquoted(s string, i int) int {
	top := lx.top()
	c := s[i]
	switch {
	case top.kind == frameBacktick && c == '`', top.kind == frameParam && c == '}':
		lx.pop()
		return 0
	case (top.kind == frameCmdSub || top.kind == frameArith) && c == '(':
		top.depth++
		return 0
	case (top.kind == frameCmdSub || top.kind == frameArith) && c == ')' && top.depth > 0:
		top.depth--
		return 0
	case top.kind == frameCmdSub && c == ')':
		lx.pop()
		return 0
	case top.kind == frameArith && c == ')':
		lx.pop()
		if strings.HasPrefix(s[i:], "))") {
			return 1
		}
		return 0
	}
	if n, ok := lx.expansion(s, i); ok {
		return n
	}
	switch {
	case c == '\'':
		lx.push(frameSingle)
	case c == '"':
		lx.push(frameDouble)
	case c == '#' && top.kind != frameParam && top.kind != frameArith && wordBoundary(lx.prev):
		lx.comment = true
	case c == '<' && strings.HasPrefix(s[i:], "<<<"):
		return 2 // a here-string: a word, not a document
	case c == '<' && strings.HasPrefix(s[i:], "<<"):
		return lx.heredocOperator(s, i)
	case c == '\n' && len(lx.pending) > 0 && top.kind != frameParam:
		lx.startDoc()
	}
	return 0
}

// heredocOperator reads "<<[-] WORD" at s[i:] and queues the document;
// it returns how many more bytes it consumed.
func (lx *lexer) heredocOperator(s string, i int) int {
	j := i + 2
	d := heredoc{}
	if j < len(s) && s[j] == '-' {
		d.strip = true
		j++
	}
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	var word strings.Builder
	for j < len(s) && !strings.ContainsRune(" \t\n;&|<>()", rune(s[j])) {
		switch s[j] {
		case '\'', '"':
			d.quoted = true
			q := s[j]
			j++
			for j < len(s) && s[j] != q {
				word.WriteByte(s[j])
				j++
			}
		case '\\':
			d.quoted = true
			if j+1 < len(s) {
				j++
				word.WriteByte(s[j])
			}
		default:
			word.WriteByte(s[j])
		}
		j++
	}
	d.delim = word.String()
	if d.delim != "" {
		lx.pending = append(lx.pending, d)
	}
	return j - i - 1
}

// startDoc begins the body of the first queued here-document.
func (lx *lexer) startDoc() {
	lx.doc, lx.pending = lx.pending[0], lx.pending[1:]
	lx.line.Reset()
	lx.lineRef = false
	if lx.doc.quoted {
		lx.push(frameLiteral)
	} else {
		lx.push(frameHeredoc)
	}
}

// endLine ends a line of a here-document body: the delimiter line ends
// the document (and starts the next queued one).
func (lx *lexer) endLine() {
	line := lx.line.String()
	if lx.doc.strip {
		line = strings.TrimLeft(line, "\t")
	}
	done := line == lx.doc.delim && !lx.lineRef
	lx.line.Reset()
	lx.lineRef = false
	if !done {
		return
	}
	lx.pop()
	lx.prev = 0
	if len(lx.pending) > 0 {
		lx.startDoc()
	}
}

// wordBoundary: a '#' after c starts a comment.
func wordBoundary(c byte) bool {
	return c == 0 || strings.IndexByte(" \t\n;&|()<>", c) >= 0
}
