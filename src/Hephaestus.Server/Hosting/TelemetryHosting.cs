using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Hephaestus.Server.Hosting;

public static class TelemetryHosting
{
    /// <summary>
    /// Traces and metrics of ASP.NET Core, Npgsql (every command is a span; pool and command metrics) and the runtime.
    /// Exported by OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, so a collector is opt-in and nothing is sent by default.
    /// Logs are structured; Logging__Console__FormatterName=json writes them as JSON lines.
    /// </summary>
    public static IHostApplicationBuilder AddHephaestusTelemetry(this IHostApplicationBuilder builder)
    {
        // Without a collector there is nobody to send spans to, and sampling every request and command still costs
        // (measured: see docs/benchmarks.md), so tracing is on only when an OTLP endpoint is configured.
        // A failed start is reported once, as one paragraph, by Program (HephaestusCli.Fail); the host's own error log of it
        // would print the same failure again as a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        var exporting = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("hephaestus"))
            .WithMetrics(m => m.AddAspNetCoreInstrumentation().AddRuntimeInstrumentation().AddMeter("Npgsql"));
        if (exporting)
        {
            otel.WithTracing(t => t.AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health")).AddNpgsql());
            otel.UseOtlpExporter();
        }

        return builder;
    }
}
