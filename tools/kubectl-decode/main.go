// kubectl-decode reads manifest files the way `kubectl create/apply -f FILE` does before it sends anything,
// and prints, per file, the JSON kubectl would send. It is the one Go helper of the tests: the differential
// test against the API server and the loader's comparison with Go's YAML reader both use it.
//
// The steps are those of k8s.io/cli-runtime/pkg/resource (v0.37.2):
//   - FileVisitor.Visit: the bytes go through unicode.BOMOverride(unicode.UTF8.NewDecoder()), so a UTF-8 or
//     UTF-16 byte-order mark selects the encoding;
//   - StreamVisitor.Visit: yaml.NewYAMLOrJSONDecoder(reader, 4096) splits the stream (a JSON stream or YAML
//     documents) and converts each YAML document to JSON (sigs.k8s.io/yaml over go-yaml v2); documents that
//     are empty or `null` after trimming are skipped; a decoding error ends the file;
//   - the Unstructured JSON scheme decodes each document (a missing kind is an error) and FlattenListVisitor
//     replaces a List by its items.
//
// Usage:
//
//	kubectl-decode FILE...              what kubectl sends (every step above)
//	kubectl-decode --documents FILE...  the reading step alone: each document's JSON as Go's YAML reader makes
//	                                    it, a document that is not an object or names no kind kept as it is,
//	                                    an object with `items` replaced by its items (an error when the
//	                                    Unstructured scheme cannot read them, as kubectl reports it)
//
// One JSON line per file on stdout: {"source": FILE, "objects": [ {...}, ... ], "error": "..."}, the error
// empty when the whole file was read.
package main

import (
	"bufio"
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
	Source  string            `json:"source"`
	Objects []json.RawMessage `json:"objects"`
	Error   string            `json:"error"`
}

// documentStep turns one decoded, non-empty document into what is kept of it.
type documentStep func(raw []byte) ([]json.RawMessage, error)

func main() {
	paths, step := os.Args[1:], documentStep(flatten)
	if len(paths) > 0 && paths[0] == "--documents" {
		paths, step = paths[1:], readingStep
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	encoder := json.NewEncoder(out)
	for _, path := range paths {
		if err := encoder.Encode(decodeFile(path, step)); err != nil {
			fmt.Fprintln(os.Stderr, "kubectl-decode:", err)
			os.Exit(1)
		}
	}
}

func decodeFile(path string, step documentStep) result {
	res := result{Source: path, Objects: []json.RawMessage{}}
	file, err := os.Open(path)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer file.Close()
	reader := transform.NewReader(file, unicode.BOMOverride(unicode.UTF8.NewDecoder()))
	decoder := yaml.NewYAMLOrJSONDecoder(reader, 4096)
	for {
		ext := runtime.RawExtension{}
		if err := decoder.Decode(&ext); err != nil {
			if err != io.EOF {
				res.Error = fmt.Sprintf("error parsing %s: %v", path, err)
			}
			return res
		}
		ext.Raw = bytes.TrimSpace(ext.Raw)
		if len(ext.Raw) == 0 || bytes.Equal(ext.Raw, []byte("null")) {
			continue
		}
		objects, err := step(ext.Raw)
		if err != nil {
			res.Error = fmt.Sprintf("error decoding %s: %v", path, err)
			return res
		}
		res.Objects = append(res.Objects, objects...)
	}
}

// flatten decodes one document as kubectl's unstructured builder does and returns what it would send:
// the object, or the items of a List (recursively).
func flatten(raw []byte) ([]json.RawMessage, error) {
	obj, _, err := unstructured.UnstructuredJSONScheme.Decode(raw, nil, nil)
	if err != nil {
		return nil, err
	}
	var objects []json.RawMessage
	switch typed := obj.(type) {
	case *unstructured.UnstructuredList:
		for i := range typed.Items {
			encoded, err := json.Marshal(typed.Items[i].Object)
			if err != nil {
				return nil, err
			}
			nested, err := flatten(encoded)
			if err != nil {
				return nil, err
			}
			objects = append(objects, nested...)
		}
	case *unstructured.Unstructured:
		encoded, err := runtime.Encode(unstructured.UnstructuredJSONScheme, typed)
		if err != nil {
			return nil, err
		}
		objects = append(objects, bytes.TrimSpace(encoded))
	default:
		return nil, fmt.Errorf("unexpected object %T", obj)
	}
	return objects, nil
}

// readingStep keeps a document as Go's YAML reader made it, so values of any shape can be compared; only an
// object with a top-level `items` field goes through the Unstructured scheme, which reads it as a list
// (unstructuredJSONScheme.decode) and fails as kubectl fails when the items are not objects.
func readingStep(raw []byte) ([]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return []json.RawMessage{raw}, nil // not an object
	}
	if _, isList := fields["items"]; !isList {
		return []json.RawMessage{raw}, nil
	}
	obj, _, err := unstructured.UnstructuredJSONScheme.Decode(raw, nil, nil)
	if err != nil {
		return nil, err
	}
	list, ok := obj.(*unstructured.UnstructuredList)
	if !ok {
		return []json.RawMessage{raw}, nil
	}
	objects := make([]json.RawMessage, 0, len(list.Items))
	for _, item := range list.Items {
		encoded, err := json.Marshal(item.Object)
		if err != nil {
			return nil, err
		}
		objects = append(objects, encoded)
	}
	return objects, nil
}
