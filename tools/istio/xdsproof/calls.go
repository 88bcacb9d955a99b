package xdsproof

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
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
		// The simulation matches routes on the path only (a TODO upstream); take the first route
		// whose path and header matchers both hold, as Envoy does.
		if vh := virtualHost(sim.Routes, r.RouteConfigMatched, r.VirtualHostMatched); vh != nil {
			res.RouteIndex, res.Cluster = -1, ""
			for i, rt := range vh.Routes {
				if pathMatches(rt.Match, c.Path) && headersMatch(rt.Match.GetHeaders(), headers) {
					res.RouteIndex, res.Cluster = i, rt.GetRoute().GetCluster()
					break
				}
			}
			if res.RouteIndex < 0 && r.Error == nil {
				res.Error = simulation.ErrNoRoute.Error()
			}
		}
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

func virtualHost(rcs []*route.RouteConfiguration, rc, vh string) *route.VirtualHost {
	for _, c := range rcs {
		if c.Name != rc {
			continue
		}
		for _, v := range c.VirtualHosts {
			if v.Name == vh {
				return v
			}
		}
	}
	return nil
}

func pathMatches(m *route.RouteMatch, path string) bool {
	if path == "" {
		path = "/"
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	switch {
	case m.GetPrefix() != "" || m.GetPathSpecifier() == nil:
		return strings.HasPrefix(path, m.GetPrefix())
	case m.GetPath() != "":
		return path == m.GetPath()
	case m.GetPathSeparatedPrefix() != "":
		p := m.GetPathSeparatedPrefix()
		return path == p || strings.HasPrefix(path, p+"/")
	case m.GetSafeRegex() != nil:
		re, err := regexp.Compile("^(?:" + m.GetSafeRegex().GetRegex() + ")$")
		return err == nil && re.MatchString(path)
	}
	return false
}

// headersMatch follows Envoy's HeaderMatcher for the matchers Istio generates.
func headersMatch(ms []*route.HeaderMatcher, headers http.Header) bool {
	for _, m := range ms {
		values, present := headers[http.CanonicalHeaderKey(m.GetName())]
		value := strings.Join(values, ",")
		var ok bool
		switch {
		case m.GetStringMatch() != nil:
			ok = present && stringMatch(m.GetStringMatch(), value)
		case m.GetPresentMatch():
			ok = present
		default:
			ok = present
		}
		if ok == m.GetInvertMatch() {
			return false
		}
	}
	return true
}

func stringMatch(sm *matcher.StringMatcher, v string) bool {
	if sm.GetIgnoreCase() {
		v = strings.ToLower(v)
	}
	norm := func(s string) string {
		if sm.GetIgnoreCase() {
			return strings.ToLower(s)
		}
		return s
	}
	switch p := sm.GetMatchPattern().(type) {
	case *matcher.StringMatcher_Exact:
		return v == norm(p.Exact)
	case *matcher.StringMatcher_Prefix:
		return strings.HasPrefix(v, norm(p.Prefix))
	case *matcher.StringMatcher_Suffix:
		return strings.HasSuffix(v, norm(p.Suffix))
	case *matcher.StringMatcher_Contains:
		return strings.Contains(v, norm(p.Contains))
	case *matcher.StringMatcher_SafeRegex:
		re, err := regexp.Compile("^(?:" + p.SafeRegex.GetRegex() + ")$")
		return err == nil && re.MatchString(v)
	}
	return false
}
