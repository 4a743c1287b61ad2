package workflow

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolveParams(t *testing.T) {
	d := mustParse(t, `name: x
params:
  day:
  region: eu
  batch: 500
  mode:
    description: required
tasks: [{name: a, run: a}]
`)
	tests := []struct {
		name  string
		given map[string]string
		want  map[string]string
		probs []Problem
	}{
		{
			name:  "defaults filled",
			given: map[string]string{"day": "2024-01-01", "mode": "full"},
			want:  map[string]string{"day": "2024-01-01", "mode": "full", "region": "eu", "batch": "500"},
		},
		{
			name:  "given wins, empty counts as given",
			given: map[string]string{"day": "", "mode": "m", "region": "us"},
			want:  map[string]string{"day": "", "mode": "m", "region": "us", "batch": "500"},
		},
		{
			name:  "every missing and unknown reported",
			given: map[string]string{"regoin": "us", "zzz": "1"},
			probs: []Problem{
				{Path: "params.day", Message: `missing required parameter "day"`},
				{Path: "params.mode", Message: `missing required parameter "mode"`},
				{Path: "params.regoin", Message: `unknown parameter "regoin" (did you mean "region"?)`},
				{Path: "params.zzz", Message: `unknown parameter "zzz"`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveParams(d, tt.given)
			if tt.probs != nil {
				var verr *ValidationError
				if !errors.As(err, &verr) {
					t.Fatalf("ResolveParams error = %v, want *ValidationError", err)
				}
				if diff := cmp.Diff(tt.probs, verr.Problems); diff != "" {
					t.Errorf("problems (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("ResolveParams: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ResolveParams (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveParamsNone(t *testing.T) {
	d := mustParse(t, "name: x\ntasks: [{name: a, run: a}]\n")
	got, err := ResolveParams(d, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("ResolveParams = %v, %v; want empty, nil", got, err)
	}
}

func TestParamJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    Param
		wantErr bool
	}{
		{in: `"x"`, want: Param{Default: ptr("x")}},
		{in: `1.50`, want: Param{Default: ptr("1.50")}},
		{in: `false`, want: Param{Default: ptr("false")}},
		{in: `null`, want: Param{}},
		{in: `{}`, want: Param{}},
		{in: `{"default": 3, "description": "d"}`, want: Param{Default: ptr("3"), Description: "d"}},
		{in: `[1]`, wantErr: true},
		{in: `{"description": 1}`, wantErr: true},
	}
	for _, tt := range tests {
		var got Param
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr {
			t.Errorf("Unmarshal(%s) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); !tt.wantErr && diff != "" {
			t.Errorf("Unmarshal(%s) (-want +got):\n%s", tt.in, diff)
		}
	}
}
