// Command shopmesh-charts writes out the Helm charts that istio.io/istio compiles into istioctl
// (its manifests package embeds them), so the offline checks can `helm template` exactly the charts
// of the pinned Istio with the values `npm run up` installs, without reading the Go module cache.
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"istio.io/istio/manifests"

	"shopmesh.local/tools/istio/buildinfo"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		fmt.Println("shopmesh-charts", buildinfo.IstioModule())
		return
	}
	if len(os.Args) != 2 || os.Args[1] == "-h" || os.Args[1] == "--help" {
		fmt.Fprintln(os.Stderr, "usage: shopmesh-charts <folder>\n\nWrites the charts istioctl embeds into <folder>/charts (and its profiles into <folder>/profiles).")
		os.Exit(2)
	}
	if err := export(manifests.BuiltinOrDir(""), os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "shopmesh-charts:", err)
		os.Exit(1)
	}
}

func export(src fs.FS, dest string) error {
	return fs.WalkDir(src, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dest, filepath.FromSlash(name))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := fs.ReadFile(src, name)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
