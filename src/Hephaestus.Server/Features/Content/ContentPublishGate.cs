using System.Globalization;
using Hephaestus.Domain.Content;

namespace Hephaestus.Server.Features.Content;

/// <summary>
/// The publish gate from configuration (<c>Content:PublishGate</c>, docs/operations.md): <c>RequireHumanReview</c>
/// (default true) and <c>MinimumNormalizedMean</c>, a minimum 0..1 mean per dimension that replaces the defaults
/// (accuracy 0.6, safety_bias 0.8) when present; a dimension set to <c>off</c> is not gated. Configuration rather than a
/// table: thresholds are an operator's policy, deployed and reviewed with the service, and read on every publish, so a
/// change applies without a restart where the configuration source reloads. The regeneration queue uses the same
/// thresholds.
/// </summary>
internal static class ContentPublishGate
{
    public const string Section = "Content:PublishGate";

    public static PublishGate From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var require = section.GetValue("RequireHumanReview", PublishGate.Default.RequireHumanReview);
        var configured = section.GetSection("MinimumNormalizedMean");
        if (!configured.Exists()) return PublishGate.Default with { RequireHumanReview = require };

        var thresholds = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var child in configured.GetChildren())
        {
            if (string.Equals(child.Value, "off", StringComparison.OrdinalIgnoreCase)) continue;
            if (!decimal.TryParse(child.Value, NumberStyles.Number, CultureInfo.InvariantCulture, out var minimum) || minimum is < 0 or > 1)
            {
                throw new InvalidOperationException(
                    $"{Section}:MinimumNormalizedMean:{child.Key} is '{child.Value}'; it must be a number from 0 to 1, or 'off'.");
            }

            thresholds[child.Key] = minimum;
        }

        return new PublishGate(thresholds, require);
    }
}
