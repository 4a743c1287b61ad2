package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v4"
)

// The subset of the Kubernetes objects the chart test reads.
type (
	object struct {
		Kind     string            `yaml:"kind"`
		Metadata meta              `yaml:"metadata"`
		Data     map[string]string `yaml:"data"`
		Spec     objectSpec        `yaml:"spec"`
	}
	meta struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	}
	objectSpec struct {
		Selector       selector    `yaml:"selector"`
		Template       podTemplate `yaml:"template"`
		MaxUnavailable any         `yaml:"maxUnavailable"`
	}
	// selector is a workload's matchLabels or a Service's plain map.
	selector struct {
		MatchLabels map[string]string
	}
	podTemplate struct {
		Metadata meta    `yaml:"metadata"`
		Spec     podSpec `yaml:"spec"`
	}
	podSpec struct {
		TerminationGracePeriodSeconds int               `yaml:"terminationGracePeriodSeconds"`
		NodeSelector                  map[string]string `yaml:"nodeSelector"`
		TopologySpreadConstraints     []struct {
			TopologyKey   string   `yaml:"topologyKey"`
			LabelSelector selector `yaml:"labelSelector"`
		} `yaml:"topologySpreadConstraints"`
		Containers []container `yaml:"containers"`
		Volumes    []volume    `yaml:"volumes"`
	}
	container struct {
		Args []string `yaml:"args"`
		Env  []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom *struct {
				SecretKeyRef *keyRef `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		LivenessProbe  *probe `yaml:"livenessProbe"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
		VolumeMounts   []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	}
	probe struct {
		HTTPGet struct {
			Path string `yaml:"path"`
		} `yaml:"httpGet"`
	}
	keyRef struct {
		Name string `yaml:"name"`
		Key  string `yaml:"key"`
	}
	volume struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name  string `yaml:"name"`
			Items []item `yaml:"items"`
		} `yaml:"configMap"`
		Secret *struct {
			SecretName string `yaml:"secretName"`
			Items      []item `yaml:"items"`
		} `yaml:"secret"`
		Projected *struct {
			Sources []struct {
				Secret *struct {
					Name  string `yaml:"name"`
					Items []item `yaml:"items"`
				} `yaml:"secret"`
			} `yaml:"sources"`
		} `yaml:"projected"`
	}
	item struct {
		Key  string `yaml:"key"`
		Path string `yaml:"path"`
	}
)

func (s *selector) UnmarshalYAML(n *yaml.Node) error {
	var m struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	}
	if err := n.Decode(&m); err == nil && m.MatchLabels != nil {
		s.MatchLabels = m.MatchLabels
		return nil
	}
	var plain map[string]string
	if err := n.Decode(&plain); err != nil {
		return err
	}
	s.MatchLabels = plain
	return nil
}

// rendered is one `helm template` output.
type rendered struct {
	t       *testing.T
	objects []object
}

func (r rendered) find(kind, name string) object {
	r.t.Helper()
	for _, o := range r.objects {
		if o.Kind == kind && o.Metadata.Name == name {
			return o
		}
	}
	r.t.Fatalf("no %s %s rendered", kind, name)
	return object{}
}

// secretKeys returns the keys of a Secret the chart renders, or nil.
func (r rendered) secretKeys(name string) []string {
	for _, o := range r.objects {
		if o.Kind == "Secret" && o.Metadata.Name == name {
			var keys []string
			for k := range o.Data {
				keys = append(keys, k)
			}
			return keys
		}
	}
	return nil
}

func helmTemplate(t *testing.T, helm, values string) rendered {
	t.Helper()
	cmd := exec.Command(helm, "template", "r1", filepath.Join("helm", "baton"), "--namespace", "jobs", "-f", values)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template -f %s: %v\n%s", values, err, stderr.String())
	}
	r := rendered{t: t}
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("helm template -f %s: not YAML: %v", values, err)
		}
		if o.Kind != "" {
			r.objects = append(r.objects, o)
		}
	}
	return r
}

// chartValues is what the test reads of a values file.
type chartValues struct {
	Database struct {
		ExistingSecret string `yaml:"existingSecret"`
	} `yaml:"database"`
	TLS struct {
		Enabled bool `yaml:"enabled"`
	} `yaml:"tls"`
	Workers struct {
		ShutdownGraceSeconds int `yaml:"shutdownGraceSeconds"`
		Zones                []struct {
			Name     string `yaml:"name"`
			Replicas int    `yaml:"replicas"`
		} `yaml:"zones"`
	} `yaml:"workers"`
}

func readValues(t *testing.T, files ...string) chartValues {
	t.Helper()
	var v chartValues
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	return v
}

// TestHelmChart renders the chart with each values file of
// helm/baton/ci/ and checks what a cluster would run. It needs helm:
// `make lint` builds it and sets BATON_HELM.
func TestHelmChart(t *testing.T) {
	helm := os.Getenv("BATON_HELM")
	if helm == "" {
		t.Skip("BATON_HELM is not set (make lint builds helm and sets it)")
	}
	files, err := filepath.Glob(filepath.Join("helm", "baton", "ci", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no values files in helm/baton/ci: %v", err)
	}
	clearBatonEnv(t)
	for _, values := range files {
		t.Run(filepath.Base(values), func(t *testing.T) {
			v := readValues(t, filepath.Join("helm", "baton", "values.yaml"), values)
			r := helmTemplate(t, helm, values)
			checkServers(t, r, v)
			checkWorkers(t, r, v)
		})
	}
}

func checkServers(t *testing.T, r rendered, v chartValues) {
	d := r.find("Deployment", "r1-baton-server")
	pod := d.Spec.Template
	if !subset(d.Spec.Selector.MatchLabels, pod.Metadata.Labels) {
		t.Errorf("server selector %v does not match its pods %v", d.Spec.Selector.MatchLabels, pod.Metadata.Labels)
	}
	zoneSpread := slices.ContainsFunc(pod.Spec.TopologySpreadConstraints, func(c struct {
		TopologyKey   string   `yaml:"topologyKey"`
		LabelSelector selector `yaml:"labelSelector"`
	}) bool {
		return c.TopologyKey == "topology.kubernetes.io/zone" && subset(c.LabelSelector.MatchLabels, pod.Metadata.Labels)
	})
	if !zoneSpread {
		t.Errorf("servers are not spread across zones: %+v", pod.Spec.TopologySpreadConstraints)
	}
	c := pod.Spec.Containers[0]
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" ||
		c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("server probes: liveness %+v, readiness %+v", c.LivenessProbe, c.ReadinessProbe)
	}
	if !slices.Equal(c.Args, []string{"server"}) {
		t.Errorf("server args %v", c.Args)
	}
	pdb := r.find("PodDisruptionBudget", "r1-baton-server")
	if !subset(pdb.Spec.Selector.MatchLabels, pod.Metadata.Labels) || pdb.Spec.MaxUnavailable == nil {
		t.Errorf("server PodDisruptionBudget %+v does not cover the servers", pdb.Spec)
	}
	svc := r.find("Service", "r1-baton-server")
	if !subset(svc.Spec.Selector.MatchLabels, pod.Metadata.Labels) {
		t.Errorf("the Service selects %v, not the servers", svc.Spec.Selector.MatchLabels)
	}
	// The database URL comes from a Secret that exists or that the chart makes.
	var dbRef *keyRef
	for _, e := range c.Env {
		if e.Name == "BATON_DATABASE" && e.ValueFrom != nil {
			dbRef = e.ValueFrom.SecretKeyRef
		}
	}
	if dbRef == nil {
		t.Fatal("servers get no BATON_DATABASE from a Secret")
	}
	checkSecretRef(t, r, dbRef.Name, dbRef.Key, v.Database.ExistingSecret)
	checkConfig(t, r, "server", pod)
}

func checkWorkers(t *testing.T, r rendered, v chartValues) {
	for _, z := range v.Workers.Zones {
		name := "r1-baton-worker-" + strings.ToLower(strings.ReplaceAll(z.Name, ".", "-"))
		d := r.find("Deployment", name)
		pod := d.Spec.Template
		c := pod.Spec.Containers[0]
		zone := ""
		for _, e := range c.Env {
			if e.Name == "BATON_ZONE" {
				zone = e.Value
			}
		}
		if zone != z.Name || pod.Spec.NodeSelector["topology.kubernetes.io/zone"] != z.Name {
			t.Errorf("%s: BATON_ZONE %q, nodeSelector %v: want both %q", name, zone, pod.Spec.NodeSelector, z.Name)
		}
		if min := v.Workers.ShutdownGraceSeconds + 30; pod.Spec.TerminationGracePeriodSeconds <= min {
			t.Errorf("%s: terminationGracePeriodSeconds %d, want more than the drain grace + 30 = %d",
				name, pod.Spec.TerminationGracePeriodSeconds, min)
		}
		if !subset(d.Spec.Selector.MatchLabels, pod.Metadata.Labels) {
			t.Errorf("%s: selector %v does not match its pods", name, d.Spec.Selector.MatchLabels)
		}
		// Each zone's selector must not select another zone's pods.
		for _, other := range v.Workers.Zones {
			if other.Name == z.Name {
				continue
			}
			o := r.find("Deployment", "r1-baton-worker-"+strings.ToLower(strings.ReplaceAll(other.Name, ".", "-")))
			if subset(d.Spec.Selector.MatchLabels, o.Spec.Template.Metadata.Labels) {
				t.Errorf("%s selects the pods of zone %s", name, other.Name)
			}
		}
		r.find("PodDisruptionBudget", name)
		cfg := checkConfig(t, r, "worker", pod)
		if cfg != nil && cfg.ShutdownGrace != time.Duration(v.Workers.ShutdownGraceSeconds)*time.Second {
			t.Errorf("%s: shutdown_grace %v, want %ds", name, cfg.ShutdownGrace, v.Workers.ShutdownGraceSeconds)
		}
	}
}

// checkConfig loads the role's config file as the role would, and checks
// that every file it names is mounted, from a key that exists.
func checkConfig(t *testing.T, r rendered, role string, pod podTemplate) *configResult {
	t.Helper()
	c := pod.Spec.Containers[0]
	cfgPath := ""
	for _, e := range c.Env {
		if e.Name == "BATON_CONFIG" {
			cfgPath = e.Value
		}
	}
	text, ok := mountedFile(t, r, pod, cfgPath)
	if !ok {
		t.Fatalf("%s: BATON_CONFIG %q is not a mounted file", role, cfgPath)
	}
	var raw map[string]any
	if err := yaml.Unmarshal([]byte(text), &raw); err != nil {
		t.Fatalf("%s config: %v", role, err)
	}
	for key, val := range raw {
		s, isString := val.(string)
		if !isString || !strings.HasPrefix(s, "/etc/baton/") {
			continue
		}
		if _, ok := mountedFile(t, r, pod, s); !ok {
			t.Errorf("%s config: %s: %s is not mounted", role, key, s)
		}
	}
	file := filepath.Join(t.TempDir(), role+".yaml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	loaded := loadConfig(t, file)
	return &configResult{ShutdownGrace: loaded.ShutdownGrace}
}

type configResult struct{ ShutdownGrace time.Duration }

// mountedFile finds the volume item behind a path in the pod's container
// and returns its content when the chart renders it (a ConfigMap key), or
// "" for a Secret key; ok is false when nothing is mounted there or the
// Secret the chart makes lacks the key.
func mountedFile(t *testing.T, r rendered, pod podTemplate, file string) (string, bool) {
	t.Helper()
	dir, base := path.Split(file)
	dir = strings.TrimSuffix(dir, "/")
	for _, m := range pod.Spec.Containers[0].VolumeMounts {
		if m.MountPath != dir {
			continue
		}
		for _, vol := range pod.Spec.Volumes {
			if vol.Name != m.Name {
				continue
			}
			switch {
			case vol.ConfigMap != nil:
				for _, it := range vol.ConfigMap.Items {
					if it.Path == base {
						data, ok := r.find("ConfigMap", vol.ConfigMap.Name).Data[it.Key]
						return data, ok
					}
				}
			case vol.Secret != nil:
				for _, it := range vol.Secret.Items {
					if it.Path == base {
						return "", secretHas(r, vol.Secret.SecretName, it.Key)
					}
				}
			case vol.Projected != nil:
				for _, src := range vol.Projected.Sources {
					for _, it := range src.Secret.Items {
						if it.Path == base {
							return "", secretHas(r, src.Secret.Name, it.Key)
						}
					}
				}
			}
		}
	}
	return "", false
}

// secretHas reports whether a Secret the chart renders has the key; a
// Secret it does not render is the user's (existingSecret) and trusted.
func secretHas(r rendered, name, key string) bool {
	keys := r.secretKeys(name)
	return keys == nil || slices.Contains(keys, key)
}

func checkSecretRef(t *testing.T, r rendered, name, key, existing string) {
	t.Helper()
	keys := r.secretKeys(name)
	switch {
	case keys == nil && name != existing:
		t.Errorf("Secret %s is neither rendered nor the existingSecret %q", name, existing)
	case keys != nil && !slices.Contains(keys, key):
		t.Errorf("Secret %s has no key %s (keys %v)", name, key, keys)
	}
}

// subset reports whether every label of sel is in labels.
func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}
