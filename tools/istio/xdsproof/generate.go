// Package xdsproof loads a rendered overlay into Istio's own fake discovery server (the one
// Istio's tests use: istiod's config pipeline, registries and xDS generators, without a cluster)
// and returns the Envoy configuration it generates for the ingress gateway and every sidecar.
package xdsproof

import (
	"encoding/json"
	"fmt"
	"sort"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"istio.io/istio/operator/pkg/helm"
	"istio.io/istio/operator/pkg/values"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/config/constants"
	"istio.io/istio/pkg/config/mesh"
	// Registers every Envoy extension type, so any typed_config prints as JSON.
	_ "istio.io/istio/pkg/config/xds"
)

// Request is what the command reads: the overlays to load, and the install settings of `npm run up`.
type Request struct {
	// IstioVersion is the proxies' version (the charts' version the cluster runs).
	IstioVersion string `json:"istioVersion"`
	// MeshConfig is istiod's meshConfig value, applied over Istio's defaults.
	MeshConfig json.RawMessage `json:"meshConfig"`
	// Gateway is the gateway chart release: rendered from the chart in the pinned Istio module.
	Gateway   GatewayRelease `json:"gateway"`
	Scenarios []Scenario     `json:"scenarios"`
}

type GatewayRelease struct {
	Release   string         `json:"release"`
	Namespace string         `json:"namespace"`
	Values    map[string]any `json:"values"`
}

type Scenario struct {
	Name    string            `json:"name"`
	Objects []json.RawMessage `json:"objects"`
	Calls   []Call            `json:"calls"`
}

type Response struct {
	Scenarios []Result `json:"scenarios"`
}

type Result struct {
	Name  string `json:"name"`
	Error string `json:"error,omitempty"`
	// Pods are the pods the rendered Deployments would run (and the gateway chart's).
	Pods []Pod `json:"pods"`
	// Proxies hold the generated configuration, one per Deployment whose pods get a proxy.
	Proxies []Proxy `json:"proxies"`
	// JwksFetches are the URLs istiod fetched a JWKS from while generating.
	JwksFetches []string `json:"jwksFetches"`
	// Ignored lists the objects istiod does not read (cert-manager, RBAC, ...).
	Ignored []string `json:"ignored"`
	// Calls are the requested calls, simulated through the generated config.
	Calls []CallResult `json:"calls"`
}

type generated struct {
	listeners []*listener.Listener
	clusters  []*cluster.Cluster
	routes    []*route.RouteConfiguration
}

type Proxy struct {
	Deployment string            `json:"deployment"`
	Namespace  string            `json:"namespace"`
	Pod        string            `json:"pod"`
	Type       string            `json:"type"`
	Labels     map[string]string `json:"labels"`
	Listeners  []json.RawMessage `json:"listeners"`
	Clusters   []json.RawMessage `json:"clusters"`
	Routes     []json.RawMessage `json:"routes"`
	Endpoints  []json.RawMessage `json:"endpoints"`
}

// RenderGateway renders the gateway chart as `helm install <release>` would, from the chart in
// the pinned Istio module.
func RenderGateway(g GatewayRelease) ([]json.RawMessage, error) {
	manifests, _, err := helm.Render(g.Release, g.Namespace, "gateway", values.Map{"spec": map[string]any{"values": g.Values}}, nil)
	if err != nil {
		return nil, fmt.Errorf("rendering the gateway chart: %v", err)
	}
	out := make([]json.RawMessage, 0, len(manifests))
	for _, m := range manifests {
		if m.GetNamespace() == "" && m.GetKind() != "Namespace" && m.GetKind() != "ClusterRole" && m.GetKind() != "ClusterRoleBinding" {
			m.SetNamespace(g.Namespace)
		}
		b, err := m.MarshalJSON()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

var marshal = protojson.MarshalOptions{UseProtoNames: true}

func raw[T proto.Message](items []T) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(items))
	for _, it := range items {
		b, err := marshal.Marshal(it)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// Generate loads one scenario (its objects plus the gateway's) and generates every proxy's config.
func Generate(req Request, sc Scenario, gateway []json.RawMessage, jwks *JwksServer, verbose bool) (res Result) {
	res = Result{Name: sc.Name, Pods: []Pod{}, Proxies: []Proxy{}, JwksFetches: []string{}, Ignored: []string{}, Calls: []CallResult{}}
	r := &run{name: sc.Name, verbose: verbose}
	defer r.close()
	defer func() {
		if v := recover(); v != nil {
			f, ok := v.(fatal)
			if !ok {
				panic(v)
			}
			res.Error = f.msg
		}
	}()
	m := mesh.DefaultMeshConfig()
	if len(req.MeshConfig) > 0 {
		var err error
		if m, err = mesh.ApplyMeshConfigDefaults(string(req.MeshConfig)); err != nil {
			r.Fatalf("meshConfig: %v", err)
		}
	}
	w, err := buildWorld(append(append([]json.RawMessage{}, sc.Objects...), gateway...))
	if err != nil {
		r.Fatal(err)
	}
	res.Pods, res.Ignored = w.pods, append(res.Ignored, w.ignored...)
	jwks.Reset()
	s := xds.NewFakeDiscoveryServer(r, xds.FakeOptions{
		Configs:                    w.configs,
		KubernetesObjects:          w.kube,
		MeshConfig:                 m,
		DisableSecretAuthorization: true,
	})
	seen := map[string]bool{}
	byDeployment := map[string]*generated{}
	for _, pod := range w.pods {
		key := pod.Namespace + "/" + pod.Deployment
		if !pod.Injected || seen[key] {
			continue
		}
		seen[key] = true
		typ := model.SidecarProxy
		if pod.Gateway {
			typ = model.Router
		}
		p := s.SetupProxy(&model.Proxy{
			Type:            typ,
			ID:              pod.Name + "." + pod.Namespace,
			IPAddresses:     []string{pod.IP},
			ConfigNamespace: pod.Namespace,
			Labels:          pod.Labels,
			DNSDomain:       pod.Namespace + ".svc.cluster.local",
			Metadata: &model.NodeMetadata{
				IstioVersion:   req.IstioVersion,
				Labels:         pod.Labels,
				Namespace:      pod.Namespace,
				ClusterID:      constants.DefaultClusterName,
				WorkloadName:   pod.Deployment,
				ServiceAccount: pod.ServiceAccount,
				InstanceIPs:    []string{pod.IP},
			},
		})
		listeners := s.Listeners(p)
		g := &generated{listeners: listeners, clusters: s.Clusters(p), routes: s.RoutesFromListeners(p, listeners)}
		byDeployment[pod.Deployment] = g
		out := Proxy{Deployment: pod.Deployment, Namespace: pod.Namespace, Pod: pod.Name, Type: string(typ), Labels: pod.Labels}
		if out.Listeners, err = raw(listeners); err == nil {
			if out.Clusters, err = raw(g.clusters); err == nil {
				if out.Routes, err = raw(g.routes); err == nil {
					out.Endpoints, err = raw(s.Endpoints(p))
				}
			}
		}
		if err != nil {
			r.Fatalf("%s: printing its config: %v", pod.Deployment, err)
		}
		res.Proxies = append(res.Proxies, out)
	}
	for _, c := range sc.Calls {
		g := byDeployment[c.Proxy]
		if g == nil {
			res.Calls = append(res.Calls, CallResult{Call: c, RouteIndex: -1, Error: fmt.Sprintf("no proxy runs for Deployment %q", c.Proxy)})
			continue
		}
		if err := callModeValid(c.Mode); err != nil {
			r.Fatal(err)
		}
		address := ""
		if c.Service != "" {
			if address = w.clusterIPs[c.Service]; address == "" {
				res.Calls = append(res.Calls, CallResult{Call: c, RouteIndex: -1, Error: fmt.Sprintf("no Service %s", c.Service)})
				continue
			}
		}
		res.Calls = append(res.Calls, simulate(newSimulation(g), c, address))
	}
	res.JwksFetches = jwks.Fetched()
	sort.Strings(res.JwksFetches)
	return res
}
