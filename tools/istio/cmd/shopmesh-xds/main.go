// shopmesh-xds generates the Envoy configuration istiod would send for rendered overlays, with
// Istio's own fake discovery server, and prints it as JSON (`npm run xds` reads it).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"istio.io/istio/pkg/log"

	"shopmesh.local/tools/istio/buildinfo"
	"shopmesh.local/tools/istio/xdsproof"
)

const usage = `usage: shopmesh-xds [--in request.json] [--verbose] | --version

Reads a request (JSON: istioVersion, meshConfig, gateway {release, namespace, values},
scenarios [{name, objects}]) from --in or stdin, loads each scenario's objects plus the rendered
gateway chart into Istio's fake discovery server, and prints the generated listeners, clusters,
routes and endpoints of the gateway and of every sidecar as JSON on stdout.
Exit code: 0 when every scenario generated, 1 when one failed (its "error" says why), 2 on bad input.
`

func main() {
	in := flag.String("in", "-", "request file (- for stdin)")
	verbose := flag.Bool("verbose", false, "show istiod's own log")
	version := flag.Bool("version", false, "print the Istio module this was built from")
	flag.Usage = func() { fmt.Fprint(os.Stderr, usage) }
	flag.Parse()
	if *version {
		fmt.Println("shopmesh-xds", buildinfo.IstioModule())
		return
	}
	os.Exit(run(*in, *verbose))
}

func run(in string, verbose bool) int {
	opts := log.DefaultOptions()
	if !verbose {
		opts.SetDefaultOutputLevel(log.OverrideScopeName, log.NoneLevel)
	}
	_ = log.Configure(opts)
	jwks, err := xdsproof.StartJwksServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "shopmesh-xds:", err)
		return 2
	}
	defer jwks.Close()
	var data []byte
	if in == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(in)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "shopmesh-xds:", err)
		return 2
	}
	var req xdsproof.Request
	if err := json.Unmarshal(data, &req); err != nil {
		fmt.Fprintln(os.Stderr, "shopmesh-xds: the request is not valid JSON:", err)
		return 2
	}
	if len(req.Scenarios) == 0 || req.Gateway.Release == "" || req.Gateway.Namespace == "" || req.IstioVersion == "" {
		fmt.Fprintln(os.Stderr, "shopmesh-xds: the request needs istioVersion, gateway.release, gateway.namespace and at least one scenario")
		return 2
	}
	gateway, err := xdsproof.RenderGateway(req.Gateway)
	if err != nil {
		fmt.Fprintln(os.Stderr, "shopmesh-xds:", err)
		return 2
	}
	resp := xdsproof.Response{}
	code := 0
	for _, sc := range req.Scenarios {
		r := xdsproof.Generate(req, sc, gateway, jwks, verbose)
		if r.Error != "" {
			code = 1
		}
		resp.Scenarios = append(resp.Scenarios, r)
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(resp); err != nil {
		fmt.Fprintln(os.Stderr, "shopmesh-xds:", err)
		return 2
	}
	return code
}
