package xdsproof

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"istio.io/istio/pilot/pkg/config/kube/crd"
	"istio.io/istio/pkg/config"
	kubelib "istio.io/istio/pkg/kube"
)

// Pod is a pod the rendered Deployments would run, as the proxies and endpoints see it.
type Pod struct {
	Name           string            `json:"name"`
	Namespace      string            `json:"namespace"`
	Deployment     string            `json:"deployment"`
	IP             string            `json:"ip"`
	Labels         map[string]string `json:"labels"`
	ServiceAccount string            `json:"serviceAccount"`
	Injected       bool              `json:"injected"`
	Gateway        bool              `json:"gateway"`
}

// world is one scenario's cluster as istiod would see it.
type world struct {
	configs []config.Config
	kube    []runtime.Object
	pods    []Pod
	ignored []string
	// clusterIPs by name.namespace
	clusterIPs map[string]string
}

type meta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// Kinds the fake Kubernetes client holds; Deployments become the pods and EndpointSlices the
// kube-controller-manager would make of them.
var kubeKinds = map[string]bool{"Namespace": true, "Service": true, "ServiceAccount": true, "Secret": true, "ConfigMap": true}

func isIstioConfig(apiVersion string) bool {
	group := strings.SplitN(apiVersion, "/", 2)[0]
	return strings.HasSuffix(group, ".istio.io") || group == "gateway.networking.k8s.io"
}

func buildWorld(objects []json.RawMessage) (*world, error) {
	w := &world{clusterIPs: map[string]string{}}
	var istioDocs []string
	var deployments []*appsv1.Deployment
	namespaces := map[string]*corev1.Namespace{}
	var services []*corev1.Service
	decode := kubelib.IstioCodec.UniversalDeserializer().Decode
	for _, raw := range objects {
		var m meta
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("an object is not valid JSON: %v", err)
		}
		ref := fmt.Sprintf("%s %s/%s", m.Kind, m.Metadata.Namespace, m.Metadata.Name)
		switch {
		case isIstioConfig(m.APIVersion):
			istioDocs = append(istioDocs, string(raw))
		case m.Kind == "Deployment" && m.APIVersion == "apps/v1":
			o, _, err := decode(raw, nil, nil)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", ref, err)
			}
			deployments = append(deployments, o.(*appsv1.Deployment))
		case kubeKinds[m.Kind] && m.APIVersion == "v1":
			o, _, err := decode(raw, nil, nil)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", ref, err)
			}
			switch t := o.(type) {
			case *corev1.Namespace:
				namespaces[t.Name] = t
			case *corev1.Service:
				services = append(services, t)
			default:
				w.kube = append(w.kube, o)
			}
		default:
			w.ignored = append(w.ignored, fmt.Sprintf("%s (%s)", ref, m.APIVersion))
		}
	}
	if len(istioDocs) > 0 {
		cfgs, others, err := crd.ParseInputs(strings.Join(istioDocs, "\n---\n"))
		if err != nil {
			return nil, err
		}
		for _, o := range others {
			w.ignored = append(w.ignored, fmt.Sprintf("%s %s/%s (%s)", o.Kind, o.Namespace, o.Name, o.APIVersion))
		}
		for _, c := range cfgs {
			if c.Namespace == "" {
				c.Namespace = "default"
			}
			// istiod's Kubernetes config store stamps the domain suffix; short hosts resolve against it.
			c.Domain = "cluster.local"
			w.configs = append(w.configs, c)
		}
	}
	for _, ns := range []string{"istio-system", "default"} {
		if namespaces[ns] == nil {
			namespaces[ns] = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
		}
	}
	for _, d := range deployments {
		if namespaces[d.Namespace] == nil {
			namespaces[d.Namespace] = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: d.Namespace}}
		}
	}
	nsNames := make([]string, 0, len(namespaces))
	for n := range namespaces {
		nsNames = append(nsNames, n)
	}
	sort.Strings(nsNames)
	for _, n := range nsNames {
		w.kube = append(w.kube, namespaces[n])
	}

	var podObjects []*corev1.Pod
	for di, d := range deployments {
		replicas := int32(1)
		if d.Spec.Replicas != nil {
			replicas = *d.Spec.Replicas
		}
		injected := willBeInjected(namespaces[d.Namespace], d.Spec.Template.ObjectMeta)
		for i := int32(0); i < replicas; i++ {
			p := podOf(d, int(i), fmt.Sprintf("10.244.%d.%d", di+1, i+10), injected)
			podObjects = append(podObjects, p)
			w.kube = append(w.kube, p)
			w.pods = append(w.pods, Pod{
				Name: p.Name, Namespace: p.Namespace, Deployment: d.Name, IP: p.Status.PodIP, Labels: p.Labels,
				ServiceAccount: p.Spec.ServiceAccountName, Injected: injected,
				Gateway: d.Spec.Template.Annotations["inject.istio.io/templates"] == "gateway",
			})
		}
	}
	for si, s := range services {
		if s.Spec.ClusterIP == "" && s.Spec.Type != corev1.ServiceTypeExternalName {
			s.Spec.ClusterIP = fmt.Sprintf("10.96.%d.%d", si/200, si%200+10)
		}
		w.clusterIPs[s.Name+"."+s.Namespace] = s.Spec.ClusterIP
		w.kube = append(w.kube, s)
		if slice := endpointSliceOf(s, podObjects); slice != nil {
			w.kube = append(w.kube, slice)
		}
	}
	return w, nil
}

// willBeInjected follows the sidecar injector webhook's selectors: a pod label
// sidecar.istio.io/inject=true always injects (that is how the gateway chart's pods get their
// proxy); otherwise the namespace must be labelled and the pod must not opt out.
func willBeInjected(ns *corev1.Namespace, pod metav1.ObjectMeta) bool {
	if pod.Labels["sidecar.istio.io/inject"] == "true" {
		return ns.Labels["istio-injection"] != "disabled"
	}
	if pod.Labels["sidecar.istio.io/inject"] == "false" || pod.Annotations["sidecar.istio.io/inject"] == "false" {
		return false
	}
	return ns.Labels["istio-injection"] == "enabled" || ns.Labels["istio.io/rev"] != ""
}

func firstOf(labels map[string]string, keys []string, fallback string) string {
	for _, k := range keys {
		if v := labels[k]; v != "" {
			return v
		}
	}
	return fallback
}

func podOf(d *appsv1.Deployment, i int, ip string, injected bool) *corev1.Pod {
	labels := map[string]string{"pod-template-hash": "5d8f7c9b6"}
	for k, v := range d.Spec.Template.Labels {
		labels[k] = v
	}
	if injected {
		// The labels the injector adds to every pod it injects; endpoints carry tlsMode, which is
		// what makes clients send mTLS to the pod.
		labels["security.istio.io/tlsMode"] = "istio"
		labels["service.istio.io/canonical-name"] = firstOf(labels, []string{"service.istio.io/canonical-name", "app.kubernetes.io/name", "app"}, d.Name)
		labels["service.istio.io/canonical-revision"] = firstOf(labels, []string{"service.istio.io/canonical-revision", "app.kubernetes.io/version", "version"}, "latest")
	}
	spec := *d.Spec.Template.Spec.DeepCopy()
	spec.NodeName = "shopmesh-node"
	if spec.ServiceAccountName == "" {
		spec.ServiceAccountName = "default"
	}
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:            fmt.Sprintf("%s-5d8f7c9b6-%c%c%c%c%c", d.Name, 'a'+i%26, 'b', 'c', 'd', 'e'),
			Namespace:       d.Namespace,
			Labels:          labels,
			Annotations:     d.Spec.Template.Annotations,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: d.Name + "-5d8f7c9b6"}},
		},
		Spec: spec,
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			PodIP:      ip,
			PodIPs:     []corev1.PodIP{{IP: ip}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		},
	}
}

func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// targetPort resolves a Service port on one pod, as the EndpointSlice controller does.
func targetPort(sp corev1.ServicePort, pod *corev1.Pod) (int32, bool) {
	tp := sp.TargetPort
	if tp.Type == intstr.Int {
		if tp.IntVal == 0 {
			return sp.Port, true
		}
		return tp.IntVal, true
	}
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == tp.StrVal {
				return p.ContainerPort, true
			}
		}
	}
	return 0, false
}

// endpointSliceOf is the EndpointSlice the Kubernetes controller keeps for a Service: every
// running, ready pod its selector matches.
func endpointSliceOf(s *corev1.Service, pods []*corev1.Pod) *discoveryv1.EndpointSlice {
	if len(s.Spec.Selector) == 0 {
		return nil
	}
	ready := true
	slice := &discoveryv1.EndpointSlice{
		TypeMeta: metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      s.Name + "-x7k2p",
			Namespace: s.Namespace,
			Labels:    map[string]string{discoveryv1.LabelServiceName: s.Name, discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	var first *corev1.Pod
	for _, p := range pods {
		if p.Namespace != s.Namespace || !selects(s.Spec.Selector, p.Labels) {
			continue
		}
		if first == nil {
			first = p
		}
		node := p.Spec.NodeName
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{p.Status.PodIP},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			NodeName:   &node,
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name},
		})
	}
	if first != nil {
		for _, sp := range s.Spec.Ports {
			port, ok := targetPort(sp, first)
			if !ok {
				continue
			}
			name, proto := sp.Name, sp.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			slice.Ports = append(slice.Ports, discoveryv1.EndpointPort{Name: &name, Port: &port, Protocol: &proto, AppProtocol: sp.AppProtocol})
		}
	}
	return slice
}
