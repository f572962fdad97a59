// Program otelcol-ksetl is the OpenTelemetry Collector distribution that
// ksetl's tests run as the log-shipping sidecar (see ../build.sh). Its form is
// the one that the OpenTelemetry Collector Builder (ocb) generates.

package main

import (
	"log"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	envprovider "go.opentelemetry.io/collector/confmap/provider/envprovider"
	fileprovider "go.opentelemetry.io/collector/confmap/provider/fileprovider"
	yamlprovider "go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/otelcol"
)

// Set with -ldflags -X by build.sh.
var (
	coreVersion    = "v0.165.0"
	contribVersion = "v0.165.1"
)

func main() {
	info := component.BuildInfo{
		Command:     "otelcol-ksetl",
		Description: "ksetl's OpenTelemetry Collector distribution (log shipping sidecar)",
		Version:     contribVersion,
	}
	set := otelcol.CollectorSettings{
		BuildInfo: info,
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{
					envprovider.NewFactory(),
					fileprovider.NewFactory(),
					yamlprovider.NewFactory(),
				},
			},
		},
	}
	if err := otelcol.NewCommand(set).Execute(); err != nil {
		log.Fatalf("collector server run finished with error: %v", err)
	}
}
