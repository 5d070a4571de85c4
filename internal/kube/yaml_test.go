package kube

import (
	"encoding/json"
	"reflect"
	"testing"

	"sigs.k8s.io/yaml"
)

// roundTrip checks that the YAML written for doc reads back (with the YAML
// library the Kubernetes tools use) as the same JSON value.
func roundTrip(t *testing.T, doc string) string {
	t.Helper()
	y, err := jsonToYAML([]byte(doc))
	if err != nil {
		t.Fatalf("jsonToYAML(%s): %v", doc, err)
	}
	back, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Fatalf("YAML for %s does not parse: %v\n%s", doc, err, y)
	}
	var want, got any
	json.Unmarshal([]byte(doc), &want)
	json.Unmarshal(back, &got)
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("YAML for %s reads back as %s:\n%s", doc, back, y)
	}
	return string(y)
}

func TestJSONToYAML(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"order kept", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"app"}}`, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n"},
		{"list of objects", `{"containers":[{"name":"a","args":["x","z"]},{"name":"b"}]}`,
			"containers:\n- name: a\n  args:\n  - x\n  - z\n- name: b\n"},
		{"ambiguous strings quoted", `{"a":"yes","b":"1.0","c":"","d":"null","e":"0755","f":"-x","g":"a: b","h":"#c"}`,
			"a: \"yes\"\nb: \"1.0\"\nc: \"\"\nd: \"null\"\ne: \"0755\"\nf: \"-x\"\ng: \"a: b\"\nh: \"#c\"\n"},
		{"scalars", `{"num":3,"f":1.5,"t":true,"z":null,"neg":-2}`, "num: 3\nf: 1.5\nt: true\nz: null\nneg: -2\n"},
		{"boolean-like keys quoted", `{"n":1,"y":"y"}`, "\"n\": 1\n\"y\": \"y\"\n"},
		{"empty containers", `{"o":{},"a":[]}`, "o: {}\na: []\n"},
		{"nested arrays", `{"m":[[1,2],[]]}`, "m:\n-\n  - 1\n  - 2\n- []\n"},
		{"multi-line and unicode", `{"s":"a\nb","u":"héllo"}`, "s: \"a\\nb\"\nu: \"héllo\"\n"},
		{"keys needing quotes", `{"app.kubernetes.io/name":"x","a b":"v","1":"z"}`, "app.kubernetes.io/name: x\n\"a b\": v\n\"1\": z\n"},
		{"top-level scalar", `"x"`, "x\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := roundTrip(t, tt.doc); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func FuzzJSONToYAML(f *testing.F) {
	for _, s := range []string{`{"a":[{"b":{"c":[1,"x"]}}]}`, `["yes","no",{"k":"v: w"}]`, `{"":""}`, `[[[]]]`, `{"a":"\t\"'"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var v any
		if json.Unmarshal([]byte(doc), &v) != nil {
			return
		}
		canon, _ := json.Marshal(v)
		roundTrip(t, string(canon))
	})
}
