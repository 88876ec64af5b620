using System.Text.Json;
using Hephaestus.Data.Content;
using Hephaestus.Server.Api;
using Hephaestus.Storage;

namespace Hephaestus.Server.Features.Content;

/// <summary>
/// A version's provenance checked field by field, each problem named by its JSON pointer under /provenance: a generated
/// version says what generated it (model, prompt template and version), a human one names no generator.
/// </summary>
internal static class ContentProvenance
{
    public const int MaxGroundingSources = 200;

    public static Provenance? Check(ProvenanceBody p, Validation v)
    {
        const string at = "provenance";
        switch (p.Origin)
        {
            case Provenance.Human:
                if (p.Model is not null || p.PromptTemplate is not null || p.PromptSha256 is not null || p.Parameters is not null || p.GroundingSources is not null
                    || p.Tokens is not null || p.CostUsd is not null || p.LatencyMs is not null)
                {
                    v.Add(at, "a human version names no generator: only origin and author may be given");
                }

                return v.IsValid ? new Provenance(Provenance.Human, AuthorId: p.Author) : null;
            case Provenance.Generated:
                if (p.Author is not null) v.Add($"{at}.author", "a generated version has no human author; record the person in metadata if needed");
                if (p.Model is null) v.Add($"{at}.model", "is required for a generated version");
                else v.Text($"{at}.model", p.Model, 1, 200);
                if (p.PromptTemplate is null) v.Add($"{at}.promptTemplate", "is required for a generated version ({id, version})");
                else
                {
                    v.Text($"{at}.promptTemplate.id", p.PromptTemplate.Id, 1, 200);
                    v.Text($"{at}.promptTemplate.version", p.PromptTemplate.Version, 1, 100);
                }

                if (p.PromptSha256 is not null && !ObjectAddress.IsValid(p.PromptSha256)) v.Add($"{at}.promptSha256", "must be a SHA-256 as 64 lowercase hex digits");
                if (p.Parameters is { ValueKind: not JsonValueKind.Object }) v.Add($"{at}.parameters", "must be a JSON object");
                CheckSources(p.GroundingSources, v);
                if (p.Tokens is { Input: < 0 }) v.Add($"{at}.tokens.input", "must not be negative");
                if (p.Tokens is { Output: < 0 }) v.Add($"{at}.tokens.output", "must not be negative");
                if (p.CostUsd is < 0 or >= 100_000_000) v.Add($"{at}.costUsd", "must be from 0 up to 100,000,000");
                if (p.LatencyMs is < 0) v.Add($"{at}.latencyMs", "must not be negative");
                if (!v.IsValid) return null;
                return new Provenance(Provenance.Generated, p.Model, p.PromptTemplate!.Id, p.PromptTemplate.Version, p.PromptSha256, p.Parameters,
                    p.GroundingSources is null ? null : JsonSerializer.SerializeToElement(p.GroundingSources, JsonSerializerOptions.Web),
                    p.Tokens?.Input, p.Tokens?.Output, p.CostUsd, p.LatencyMs);
            default:
                v.Add($"{at}.origin", "must be 'generated' or 'human'");
                return null;
        }
    }

    static void CheckSources(IReadOnlyList<GroundingSource>? sources, Validation v)
    {
        if (sources is null) return;
        if (sources.Count > MaxGroundingSources) v.Add("provenance.groundingSources", $"must have at most {MaxGroundingSources} sources");
        for (var i = 0; i < sources.Count; i++)
        {
            var at = $"provenance.groundingSources[{i}]";
            v.Text($"{at}.uri", sources[i].Uri, 1, 2000);
            if (!Uri.TryCreate(sources[i].Uri, UriKind.Absolute, out _)) v.Add($"{at}.uri", "must be an absolute URI");
            v.Text($"{at}.title", sources[i].Title, 1, 500, required: false);
            if (sources[i].Sha256 is { } sha && !ObjectAddress.IsValid(sha)) v.Add($"{at}.sha256", "must be a SHA-256 as 64 lowercase hex digits");
        }
    }
}
