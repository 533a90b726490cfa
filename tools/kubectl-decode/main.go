// kubectl-decode reads manifest files the way `kubectl create/apply -f FILE` does before it sends anything,
// and prints, per file, the JSON objects kubectl would send.
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
// Usage: kubectl-decode FILE...   One JSON line per file on stdout:
//   {"source": FILE, "objects": [ {...}, ... ], "error": "..."}   (error empty when the whole file was read)
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

func main() {
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	encoder := json.NewEncoder(out)
	for _, path := range os.Args[1:] {
		if err := encoder.Encode(decodeFile(path)); err != nil {
			fmt.Fprintln(os.Stderr, "kubectl-decode:", err)
			os.Exit(1)
		}
	}
}

func decodeFile(path string) result {
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
		objects, err := flatten(ext.Raw)
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
