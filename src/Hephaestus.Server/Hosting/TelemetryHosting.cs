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
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("hephaestus"))
            .WithTracing(t => t.AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health")).AddNpgsql())
            .WithMetrics(m => m.AddAspNetCoreInstrumentation().AddRuntimeInstrumentation().AddMeter("Npgsql"));
        if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.UseOtlpExporter();
        }

        return builder;
    }
}
