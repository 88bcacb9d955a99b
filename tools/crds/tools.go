//go:build tools

// The CRD sources: their API types are read by controller-gen and ./gatewayapi, never imported.
package tools

import (
	_ "github.com/cert-manager/cert-manager/pkg/apis/acme/v1"
	_ "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
)
