// Command gatewayapi writes one release channel of the Gateway API CRDs, generated with
// controller-tools from the API types of the sigs.k8s.io/gateway-api module that go.mod pins.
// Gateway API's own generator (tools/generator in its repository) is a separate module the Go
// module proxy does not serve, so this program applies the same documented source conventions:
// the channel's kinds, `<gateway:experimental>` fields only in the experimental channel,
// `<gateway:<channel>:validation:…>` tags turned into schema, alpha versions not served in the
// standard channel, and the bundle-version and channel annotations.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
	apiext "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-tools/pkg/crd"
	"sigs.k8s.io/controller-tools/pkg/loader"
	"sigs.k8s.io/controller-tools/pkg/markers"
	"sigs.k8s.io/gateway-api/pkg/consts"
	"sigs.k8s.io/yaml"
)

// The kinds each channel ships (the standard install of this release).
var standardKinds = []string{"BackendTLSPolicy", "Gateway", "GatewayClass", "GRPCRoute", "HTTPRoute", "ListenerSet", "ReferenceGrant", "TCPRoute", "TLSRoute", "UDPRoute"}

var apiPackages = []string{
	"k8s.io/apimachinery/pkg/runtime/schema", // register.go's GroupVersion values are typed by it
	"sigs.k8s.io/gateway-api/apis/v1",
	"sigs.k8s.io/gateway-api/apis/v1beta1",
	"sigs.k8s.io/gateway-api/apis/v1alpha2",
	"sigs.k8s.io/gateway-api/apis/v1alpha3",
	"sigs.k8s.io/gateway-api/apisx/v1alpha1",
}

func main() {
	channel := flag.String("channel", "standard", "release channel: standard or experimental")
	out := flag.String("out", "", "file to write the CRDs to, as one multi-document YAML (default: stdout)")
	flag.Parse()
	if *channel != "standard" && *channel != "experimental" {
		fail("unknown channel %q: standard or experimental", *channel)
	}
	docs, err := generate(*channel)
	if err != nil {
		fail("%v", err)
	}
	if *out == "" {
		_, _ = os.Stdout.Write(docs)
		return
	}
	if err := os.WriteFile(*out, docs, 0o644); err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gatewayapi: "+format+"\n", args...)
	os.Exit(1)
}

func generate(channel string) ([]byte, error) {
	roots, err := loader.LoadRoots(apiPackages...)
	if err != nil {
		return nil, fmt.Errorf("loading the API packages: %w", err)
	}
	gen := &crd.Generator{}
	parser := &crd.Parser{
		Collector: &markers.Collector{Registry: &markers.Registry{}},
		Checker:   &loader.TypeChecker{NodeFilters: []loader.NodeFilter{gen.CheckFilter()}},
	}
	if err := gen.RegisterMarkers(parser.Collector.Registry); err != nil {
		return nil, err
	}
	crd.AddKnownTypes(parser)
	for _, root := range roots {
		parser.NeedPackage(root)
	}
	metav1Pkg := crd.FindMetav1(roots)
	if metav1Pkg == nil {
		return nil, fmt.Errorf("no API types found: nothing imports metav1")
	}
	kinds := crd.FindKubeKinds(parser, metav1Pkg)
	sort.Slice(kinds, func(i, j int) bool { return kinds[i].Kind < kinds[j].Kind })

	var buf bytes.Buffer
	for _, gk := range kinds {
		if channel == "standard" && !contains(standardKinds, gk.Kind) {
			continue
		}
		parser.NeedCRDFor(gk, nil)
		generated, ok := parser.CustomResourceDefinitions[gk]
		if !ok {
			return nil, fmt.Errorf("no CRD generated for %s", gk)
		}
		doc, err := channelCRD(generated, channel)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", gk, err)
		}
		buf.WriteString("---\n")
		buf.Write(doc)
	}
	// Type errors are expected: the checker skips what schema generation does not need.
	if loader.PrintErrors(roots, packages.TypeError) {
		return nil, fmt.Errorf("the API packages have errors (printed above)")
	}
	if buf.Len() == 0 {
		return nil, fmt.Errorf("no CRDs generated")
	}
	return buf.Bytes(), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// channelCRD shapes one generated CRD for the channel and returns it as YAML, without status.
func channelCRD(generated apiext.CustomResourceDefinition, channel string) ([]byte, error) {
	c := generated.DeepCopy()
	crd.FixTopLevelMetadata(*c)
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[consts.BundleVersionAnnotation] = consts.BundleVersion
	c.Annotations[consts.ChannelAnnotation] = channel
	c.Annotations[apiext.KubeAPIApprovedAnnotation] = consts.ApprovalLink
	for i := range c.Spec.Versions {
		v := &c.Spec.Versions[i]
		if channel == "standard" && strings.Contains(v.Name, "alpha") {
			v.Served = false
		}
		if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			continue
		}
		root, err := shape(*v.Schema.OpenAPIV3Schema, channel)
		if err != nil {
			return nil, err
		}
		v.Schema.OpenAPIV3Schema = root
	}
	manifest := struct {
		metav1.TypeMeta   `json:",inline"`
		metav1.ObjectMeta `json:"metadata"`
		Spec              apiext.CustomResourceDefinitionSpec `json:"spec"`
	}{metav1.TypeMeta{APIVersion: apiext.SchemeGroupVersion.String(), Kind: "CustomResourceDefinition"}, c.ObjectMeta, c.Spec}
	return yaml.Marshal(manifest)
}

var (
	tagRe             = regexp.MustCompile(`<gateway:[^>]*>`)
	excludedRe        = regexp.MustCompile(`(?s)\n*<gateway:util:excludeFromCRD>.*?</gateway:util:excludeFromCRD>\n*`)
	experimentalDocRe = regexp.MustCompile(`(?s)\n*<gateway:experimental:description>.*?</gateway:experimental:description>\n*`)
	extraBlankLinesRe = regexp.MustCompile(`\n{4,}`)
)

// shape applies the `<gateway:…>` source tags to one schema node and its children. It returns nil
// for a field the channel does not have.
func shape(s apiext.JSONSchemaProps, channel string) (*apiext.JSONSchemaProps, error) {
	d := s.Description
	if channel == "standard" && strings.Contains(d, "<gateway:experimental>") {
		return nil, nil
	}
	if strings.Contains(d, "<gateway:validateIPAddress>") && s.Items != nil && s.Items.Schema != nil {
		quoted := apiext.JSON{Raw: []byte(`"IPAddress"`)}
		s.Items.Schema.OneOf = []apiext.JSONSchemaProps{
			{Properties: map[string]apiext.JSONSchemaProps{
				"type":  {Enum: []apiext.JSON{quoted}},
				"value": {AnyOf: []apiext.JSONSchemaProps{{Format: "ipv4"}, {Format: "ipv6"}}},
			}},
			{Properties: map[string]apiext.JSONSchemaProps{"type": {Not: &apiext.JSONSchemaProps{Enum: []apiext.JSON{quoted}}}}},
		}
	}
	// metav1.Time comes out as an object with format date-time; on the wire it is a string.
	if s.Format == "date-time" {
		s.Type = "string"
	}
	if err := channelValidations(&s, channel); err != nil {
		return nil, err
	}
	s.Description = cleanDescription(d, channel)

	for name, child := range s.Properties {
		shaped, err := shape(child, channel)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if shaped == nil {
			delete(s.Properties, name)
			s.Required = without(s.Required, name)
		} else {
			s.Properties[name] = *shaped
		}
	}
	if s.Items != nil && s.Items.Schema != nil {
		shaped, err := shape(*s.Items.Schema, channel)
		if err != nil {
			return nil, err
		}
		if shaped != nil {
			s.Items.Schema = shaped
		}
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		shaped, err := shape(*s.AdditionalProperties.Schema, channel)
		if err != nil {
			return nil, err
		}
		if shaped != nil {
			s.AdditionalProperties.Schema = shaped
		}
	}
	return &s, nil
}

func without(list []string, s string) []string {
	var kept []string
	for _, x := range list {
		if x != s {
			kept = append(kept, x)
		}
	}
	return kept
}

// channelValidations turns `<gateway:<channel>:validation:Enum=a;b>`, `…:XValidation:message="…",rule="…">`
// and “…:Pattern=`…` “ into schema, and fails on a tag it cannot read rather than dropping it.
func channelValidations(s *apiext.JSONSchemaProps, channel string) error {
	prefix := "<gateway:" + channel + ":validation:"
	want := strings.Count(s.Description, prefix)
	if want == 0 {
		return nil
	}
	q := regexp.QuoteMeta(prefix)
	got := 0
	for _, m := range regexp.MustCompile(q+`Enum=([A-Za-z;]*)>`).FindAllStringSubmatch(s.Description, -1) {
		s.Enum = nil
		for _, v := range strings.Split(m[1], ";") {
			s.Enum = append(s.Enum, apiext.JSON{Raw: []byte(fmt.Sprintf("%q", v))})
		}
		got++
	}
	for _, m := range regexp.MustCompile(q+`XValidation:message="([^"]*)",rule="([^"]*)">`).FindAllStringSubmatch(s.Description, -1) {
		s.XValidations = append(s.XValidations, apiext.ValidationRule{Message: m[1], Rule: m[2]})
		got++
	}
	if ms := regexp.MustCompile(q+"Pattern=`([^`]*)`").FindAllStringSubmatch(s.Description, -1); len(ms) == 1 && s.Pattern == "" {
		s.Pattern = ms[0][1]
		got++
	}
	if got < want {
		return fmt.Errorf("%d %s tags, only %d understood in: %s", want, prefix, got, s.Description)
	}
	return nil
}

func cleanDescription(d, channel string) string {
	if channel == "standard" {
		d = experimentalDocRe.ReplaceAllString(d, "\n\n")
	}
	d = excludedRe.ReplaceAllString(d, "\n\n\n")
	d = tagRe.ReplaceAllString(d, "")
	d = extraBlankLinesRe.ReplaceAllString(d, "\n\n\n")
	return strings.Trim(d, "\n")
}
