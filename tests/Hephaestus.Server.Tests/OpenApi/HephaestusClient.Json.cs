namespace Hephaestus.Server.Tests.OpenApi.Generated;

/// <summary>
/// The generated client's one extension point for its JSON, set as the API documents it: optional members left unset are
/// not sent (the API refuses an answer or a rule with members it does not expect), and enums travel as their wire names
/// (NSwag puts a converter only on inline enums, not on those it shares as classes).
/// </summary>
public partial class HephaestusClient
{
    static partial void UpdateJsonSerializerSettings(System.Text.Json.JsonSerializerOptions settings)
    {
        settings.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
        settings.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
    }
}
