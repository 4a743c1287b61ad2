package ui

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// The API docs page is rendered here from the OpenAPI document, with no
// script and no asset from elsewhere, so that it reads offline.

type apiOperation struct {
	Method, Path, ID, Summary, Description string
	Params                                 []apiParam
	Body                                   string // the request body's schema, as JSON
	Responses                              []apiResponse
}

type apiParam struct {
	Name, In, Type, Description string
	Required                    bool
}

type apiResponse struct{ Status, Description, Schema string }

type apiTag struct {
	Name string
	Ops  []apiOperation
}

type openAPIDoc struct {
	Info struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Description string `json:"description"`
	} `json:"info"`
	Paths map[string]map[string]struct {
		OperationID string   `json:"operationId"`
		Summary     string   `json:"summary"`
		Description string   `json:"description"`
		Tags        []string `json:"tags"`
		Parameters  []struct {
			Name        string          `json:"name"`
			In          string          `json:"in"`
			Description string          `json:"description"`
			Required    bool            `json:"required"`
			Schema      json.RawMessage `json:"schema"`
		} `json:"parameters"`
		RequestBody *struct {
			Content map[string]struct {
				Schema json.RawMessage `json:"schema"`
			} `json:"content"`
		} `json:"requestBody"`
		Responses map[string]struct {
			Description string `json:"description"`
			Content     map[string]struct {
				Schema json.RawMessage `json:"schema"`
			} `json:"content"`
		} `json:"responses"`
	} `json:"paths"`
	Components struct {
		Schemas map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
}

func (h *Handler) apiDocs(w http.ResponseWriter, r *http.Request) {
	raw, err := h.opts.OpenAPI()
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	var doc openAPIDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		h.readErr(w, r, err)
		return
	}
	byTag := map[string][]apiOperation{}
	for path, methods := range doc.Paths {
		for method, op := range methods {
			o := apiOperation{Method: strings.ToUpper(method), Path: path, ID: op.OperationID, Summary: op.Summary, Description: op.Description}
			for _, p := range op.Parameters {
				var s struct {
					Type string `json:"type"`
				}
				_ = json.Unmarshal(p.Schema, &s)
				o.Params = append(o.Params, apiParam{Name: p.Name, In: p.In, Type: s.Type, Description: p.Description, Required: p.Required})
			}
			if op.RequestBody != nil {
				for _, c := range op.RequestBody.Content {
					o.Body = schemaName(c.Schema)
				}
			}
			for status, resp := range op.Responses {
				ar := apiResponse{Status: status, Description: resp.Description}
				for _, c := range resp.Content {
					ar.Schema = schemaName(c.Schema)
				}
				o.Responses = append(o.Responses, ar)
			}
			slices.SortFunc(o.Responses, func(a, b apiResponse) int { return strings.Compare(a.Status, b.Status) })
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			byTag[tag] = append(byTag[tag], o)
		}
	}
	tags := make([]apiTag, 0, len(byTag))
	for name, ops := range byTag {
		slices.SortFunc(ops, func(a, b apiOperation) int {
			if c := strings.Compare(a.Path, b.Path); c != 0 {
				return c
			}
			return strings.Compare(a.Method, b.Method)
		})
		tags = append(tags, apiTag{Name: name, Ops: ops})
	}
	slices.SortFunc(tags, func(a, b apiTag) int { return strings.Compare(a.Name, b.Name) })
	names := make([]string, 0, len(doc.Components.Schemas))
	for n := range doc.Components.Schemas {
		names = append(names, n)
	}
	slices.Sort(names)
	schemas := make([]apiResponse, 0, len(names))
	for _, n := range names {
		var pretty strings.Builder
		var v any
		_ = json.Unmarshal(doc.Components.Schemas[n], &v)
		enc := json.NewEncoder(&pretty)
		enc.SetIndent("", "  ")
		_ = enc.Encode(v)
		schemas = append(schemas, apiResponse{Status: n, Schema: pretty.String()})
	}
	h.render(w, r, http.StatusOK, "apidocs", page{Title: "API reference", Nav: "api", Data: map[string]any{
		"Info": doc.Info, "Tags": tags, "Schemas": schemas,
	}})
}

// schemaName names a schema: its component for a $ref, else its type.
func schemaName(raw json.RawMessage) string {
	var s struct {
		Ref   string `json:"$ref"`
		Type  string `json:"type"`
		Items *struct {
			Ref string `json:"$ref"`
		} `json:"items"`
	}
	_ = json.Unmarshal(raw, &s)
	switch {
	case s.Ref != "":
		return s.Ref[strings.LastIndex(s.Ref, "/")+1:]
	case s.Items != nil && s.Items.Ref != "":
		return "[]" + s.Items.Ref[strings.LastIndex(s.Items.Ref, "/")+1:]
	}
	return s.Type
}
