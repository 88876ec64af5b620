using System.Text.Json.Nodes;

namespace Hephaestus.Domain.Xapi;

/// <summary>
/// The Statement comparison of xAPI-Data.md 2.3.1: differences that the exceptions to immutability could cause are
/// ignored, any other is not. Used for a signature's payload and for a Statement sent again under an id already stored.
/// </summary>
public static class XapiStatementComparison
{
    /// <summary>
    /// Whether <paramref name="second"/> is logically <paramref name="first"/> (both are changed): the LRS's own
    /// properties (stored, authority, version) are ignored, and id and timestamp when the first lacks them (the LRS
    /// fills them in); a single context Activity equals an array of it.
    /// Everything else compares as JSON values (object members in any order).
    /// </summary>
    public static bool Same(JsonObject first, JsonObject second)
    {
        foreach (var name in new[] { "stored", "authority", "version" })
        {
            first.Remove(name);
            second.Remove(name);
        }

        foreach (var name in new[] { "id", "timestamp" })
        {
            if (!first.ContainsKey(name)) second.Remove(name);
        }

        NormalizeContextActivities(first);
        NormalizeContextActivities(second);
        return JsonNode.DeepEquals(first, second);
    }

    /// <summary>A single context Activity and an array of one are the same Statement.</summary>
    static void NormalizeContextActivities(JsonObject statement)
    {
        foreach (var holder in new[] { statement, statement["object"] as JsonObject })
        {
            if (holder?["context"]?["contextActivities"] is not JsonObject kinds) continue;
            foreach (var (kind, value) in kinds.ToList())
            {
                if (value is JsonObject single) kinds[kind] = new JsonArray(single.DeepClone());
            }
        }
    }
}
