package xdsproof

import (
	"fmt"
	"net/http"
	"strconv"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/proto"

	"istio.io/istio/pilot/pkg/simulation"
)

// Call is one request sent through a proxy's generated config by Istio's own traffic simulation
// (pilot/pkg/simulation, which Istio's tests use to match listeners, filter chains, virtual hosts,
// routes and clusters the way Envoy does).
type Call struct {
	// Proxy is the Deployment whose proxy makes the call (the gateway chart's, or a sidecar's).
	Proxy string `json:"proxy"`
	// Mode is gateway, outbound or inbound.
	Mode string `json:"mode"`
	// Service (name.namespace) gives the address of an outbound call: the Service's ClusterIP.
	Service string            `json:"service,omitempty"`
	Port    int               `json:"port"`
	Path    string            `json:"path,omitempty"`
	Host    string            `json:"host,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// TLS is plaintext, tls or mtls.
	TLS string `json:"tls,omitempty"`
}

// CallResult names what the call matched; RouteIndex points into RouteConfig's VirtualHost's routes.
type CallResult struct {
	Call        Call   `json:"call"`
	Listener    string `json:"listener,omitempty"`
	FilterChain string `json:"filterChain,omitempty"`
	RouteConfig string `json:"routeConfig,omitempty"`
	VirtualHost string `json:"virtualHost,omitempty"`
	RouteIndex  int    `json:"routeIndex"`
	Cluster     string `json:"cluster,omitempty"`
	Error       string `json:"error,omitempty"`
}

// indexedRoutes copies the route configs with each route renamed to its index in its virtual
// host, so the simulation's "route matched" names exactly one route.
func indexedRoutes(rcs []*route.RouteConfiguration) []*route.RouteConfiguration {
	out := make([]*route.RouteConfiguration, 0, len(rcs))
	for _, rc := range rcs {
		c := proto.Clone(rc).(*route.RouteConfiguration)
		for _, vh := range c.VirtualHosts {
			for i, r := range vh.Routes {
				r.Name = strconv.Itoa(i)
			}
		}
		out = append(out, c)
	}
	return out
}

func simulate(sim *simulation.Simulation, c Call, address string) (res CallResult) {
	res = CallResult{Call: c, RouteIndex: -1}
	defer func() {
		// The simulation stops on config it cannot read (through its absent *testing.T).
		if v := recover(); v != nil {
			res.Error = fmt.Sprintf("the simulation could not read the generated config: %v", v)
		}
	}()
	headers := http.Header{}
	for k, v := range c.Headers {
		headers.Set(k, v)
	}
	tls := simulation.TLSMode(c.TLS)
	if tls == "" {
		tls = simulation.Plaintext
	}
	r := sim.Run(simulation.Call{
		Address:    address,
		Port:       c.Port,
		Path:       c.Path,
		Protocol:   simulation.HTTP,
		TLS:        tls,
		HostHeader: c.Host,
		Headers:    headers,
		CallMode:   simulation.CallMode(c.Mode),
	})
	res.Listener, res.FilterChain, res.RouteConfig, res.VirtualHost, res.Cluster = r.ListenerMatched, r.FilterChainMatched, r.RouteConfigMatched, r.VirtualHostMatched, r.ClusterMatched
	if r.RouteMatched != "" {
		res.RouteIndex, _ = strconv.Atoi(r.RouteMatched)
	}
	if r.Error != nil {
		res.Error = r.Error.Error()
	}
	return res
}

// newSimulation builds the simulation over one proxy's generated config.
func newSimulation(p *generated) *simulation.Simulation {
	return &simulation.Simulation{Listeners: p.listeners, Clusters: p.clusters, Routes: indexedRoutes(p.routes)}
}

func callModeValid(m string) error {
	switch simulation.CallMode(m) {
	case simulation.CallModeGateway, simulation.CallModeOutbound, simulation.CallModeInbound:
		return nil
	}
	return fmt.Errorf("call mode %q is not gateway, outbound or inbound", m)
}
