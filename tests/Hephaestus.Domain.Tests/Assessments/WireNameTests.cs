using System.Text.Json;
using System.Text.Json.Serialization;
using Hephaestus.Domain.Assessments;

namespace Hephaestus.Domain.Tests.Assessments;

/// <summary>
/// Attempt statuses and feedback levels were strings on the wire, in <c>attempts.status</c> and in stored settings (and
/// in the idempotency records that keep whole response bodies): the enums must write exactly those strings, with the
/// API's options (a snake_case_lower converter) and with the plain web options used for stored JSON.
/// </summary>
public class WireNameTests
{
    static readonly JsonSerializerOptions Api = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) } };

    [Theory]
    [InlineData("api")]
    [InlineData("stored")]
    public void Attempt_statuses_and_feedback_levels_keep_their_strings(string use)
    {
        var options = use == "api" ? Api : JsonSerializerOptions.Web;
        Assert.Equal("\"in_progress\"", JsonSerializer.Serialize(AttemptStatus.InProgress, options));
        Assert.Equal("\"submitted\"", JsonSerializer.Serialize(AttemptStatus.Submitted, options));
        Assert.Equal("\"none\"", JsonSerializer.Serialize(FeedbackLevel.None, options));
        Assert.Equal("\"score\"", JsonSerializer.Serialize(FeedbackLevel.Score, options));
        Assert.Equal("\"full\"", JsonSerializer.Serialize(FeedbackLevel.Full, options));
        Assert.Equal(FeedbackLevel.Full, JsonSerializer.Deserialize<FeedbackLevel>("\"full\"", options));
        Assert.Equal(AttemptStatus.InProgress, JsonSerializer.Deserialize<AttemptStatus>("\"in_progress\"", options));
    }

    [Fact]
    public void Stored_attempt_statuses_parse_and_others_are_refused()
    {
        Assert.Equal(AttemptStatus.InProgress, AttemptStatuses.Parse("in_progress"));
        Assert.Equal(AttemptStatus.Submitted, AttemptStatuses.Parse("submitted"));
        Assert.Throws<FormatException>(() => AttemptStatuses.Parse("InProgress"));
    }
}
