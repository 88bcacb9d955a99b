// Package buildinfo tells which istio.io/istio module a shopmesh program was linked with: the
// version `npm run tools` checks against versions.yaml.
package buildinfo

import "runtime/debug"

// IstioModule is the linked istio.io/istio module, e.g. "istio.io/istio v0.0.0-2026...".
func IstioModule() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "istio.io/istio" {
				return "istio.io/istio " + d.Version
			}
		}
	}
	return "istio.io/istio (unknown)"
}
