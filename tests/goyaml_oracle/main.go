// Command goyaml_oracle prints what kubectl's client-side decoding makes of each input.
//
// It reads a JSON array of inputs (strings) on stdin and writes a JSON array of results: per input, the
// documents kubectl would send (its FileVisitor's unicode.BOMOverride, then
// k8s.io/apimachinery/pkg/util/yaml.YAMLOrJSONDecoder into runtime.RawExtension, empty and null documents
// skipped, lists flattened by unstructured.UnstructuredJSONScheme), or the error that stops kubectl.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
)

type result struct {
	Documents []json.RawMessage `json:"documents"`
	Error     string            `json:"error,omitempty"`
}

func decode(input string) result {
	out := result{Documents: []json.RawMessage{}}
	reader := transform.NewReader(bytes.NewReader([]byte(input)), unicode.BOMOverride(unicode.UTF8.NewDecoder()))
	decoder := yaml.NewYAMLOrJSONDecoder(reader, 4096)
	for {
		ext := runtime.RawExtension{}
		if err := decoder.Decode(&ext); err != nil {
			if err != io.EOF {
				out.Error = err.Error()
			}
			return out
		}
		raw := bytes.TrimSpace(ext.Raw)
		if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
			continue
		}
		var probe interface{}
		if err := json.Unmarshal(raw, &probe); err == nil {
			if _, isObject := probe.(map[string]interface{}); !isObject {
				out.Documents = append(out.Documents, json.RawMessage(raw)) // not an object: kept as it is
				continue
			}
		}
		object, _, err := unstructured.UnstructuredJSONScheme.Decode(raw, nil, nil)
		if list, ok := object.(*unstructured.UnstructuredList); ok && err == nil {
			for _, item := range list.Items {
				encoded, _ := json.Marshal(item.Object)
				out.Documents = append(out.Documents, encoded)
			}
			continue
		}
		if err != nil && bytes.Contains(raw, []byte(`"items"`)) {
			out.Error = err.Error()
			return out
		}
		out.Documents = append(out.Documents, json.RawMessage(raw))
	}
}

func main() {
	var inputs []string
	if err := json.NewDecoder(os.Stdin).Decode(&inputs); err != nil {
		fmt.Fprintln(os.Stderr, "goyaml_oracle: stdin must be a JSON array of strings:", err)
		os.Exit(2)
	}
	results := make([]result, len(inputs))
	for i, input := range inputs {
		results[i] = decode(input)
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		os.Exit(1)
	}
}
