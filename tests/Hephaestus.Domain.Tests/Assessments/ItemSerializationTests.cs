using System.Text.Json;
using Hephaestus.Domain.Assessments;
using static Hephaestus.Domain.Tests.Assessments.ItemTestJson;

namespace Hephaestus.Domain.Tests.Assessments;

public class ItemSerializationTests
{
    // One of each type, with answer-key values chosen to be distinctive strings and numbers.
    private static readonly string[] OneOfEachType =
    [
        """{"type": "single_choice", "prompt": "Pick", "points": 2, "options": [{"id": "opt-x", "text": "X"}, {"id": "opt-y", "text": "Y"}], "correctOptionId": "opt-y"}""",
        """{"type": "multiple_choice", "prompt": "Pick", "points": 1.5, "scoring": "right_minus_wrong", "options": [{"id": "m1", "text": "A"}, {"id": "m2", "text": "B"}, {"id": "m3", "text": "C"}], "correctOptionIds": ["m3", "m1"]}""",
        """{"type": "numeric", "prompt": "Euler's number times 100", "value": 271.828, "tolerance": 0.0125, "toleranceKind": "absolute"}""",
        """{"type": "short_text", "prompt": "Name it", "acceptedAnswers": ["Zanzibar", "Unguja"], "caseSensitive": true, "whitespace": "trim"}""",
        """{"type": "ordering", "prompt": "Order", "scoring": "adjacent_pairs", "items": [{"id": "s1", "text": "one"}, {"id": "s2", "text": "two"}, {"id": "s3", "text": "three"}, {"id": "s4", "text": "four"}, {"id": "s5", "text": "five"}], "correctOrder": ["s1", "s2", "s3", "s4", "s5"]}""",
    ];

    public static TheoryData<string> Items() => new(OneOfEachType);

    [Theory]
    [MemberData(nameof(Items))]
    public void Stored_form_round_trips_through_the_parser(string json)
    {
        var item = Item(json);
        var stored = item.ToJson();
        var again = Item(stored.GetRawText());

        Assert.Equal(stored.GetRawText(), again.ToJson().GetRawText());
        Assert.Equal(item.GetType(), again.GetType());
        Assert.Equal((item.Prompt, item.Points), (again.Prompt, again.Points));
    }

    [Fact]
    public void Stored_form_writes_defaults_explicitly()
    {
        var stored = Item("""{"type": "short_text", "prompt": "p", "acceptedAnswers": ["a"]}""").ToJson().GetRawText();
        Assert.Equal("""{"type":"short_text","prompt":"p","points":1,"acceptedAnswers":["a"],"caseSensitive":false,"whitespace":"collapse"}""", stored);
    }

    [Theory]
    [MemberData(nameof(Items))]
    public void Learner_view_contains_none_of_the_answer_key(string json)
    {
        var item = Item(json);
        var view = item.ToLearnerView(shuffleSeed: 7);
        var text = view.GetRawText();

        foreach (var keyProperty in new[] { "correctOptionId", "correctOptionIds", "value", "tolerance", "toleranceKind", "acceptedAnswers", "caseSensitive", "whitespace", "correctOrder" })
        {
            Assert.False(view.TryGetProperty(keyProperty, out _), $"learner view exposes '{keyProperty}'");
        }

        var keyValues = item switch
        {
            NumericItem n => [n.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), n.Tolerance.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            ShortTextItem s => s.AcceptedAnswers.ToArray(),
            _ => Array.Empty<string>(),
        };
        foreach (var value in keyValues)
        {
            Assert.DoesNotContain(value, text, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(item.Type, view.GetProperty("type").GetString());
        Assert.Equal(item.Prompt, view.GetProperty("prompt").GetString());
    }

    [Fact]
    public void Learner_view_of_an_ordering_item_is_shuffled_deterministically_by_seed()
    {
        var item = (OrderingItem)Item(OneOfEachType[4]);
        string[] Order(int seed) => item.ToLearnerView(seed).GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToArray();

        Assert.Equal(Order(7), Order(7));
        Assert.Equal(item.Items.Select(i => i.Id).Order(), Order(7).Order());
        // Over a handful of seeds the displayed order varies and is mostly not the answer.
        var orders = Enumerable.Range(0, 20).Select(seed => string.Join(",", Order(seed))).ToList();
        Assert.True(orders.Distinct().Count() > 10);
        Assert.True(orders.Count(o => o == string.Join(",", item.CorrectOrder)) <= 1);
        // Items keep their texts: the learner still sees what to order.
        Assert.Contains("\"text\":\"three\"", item.ToLearnerView(3).GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public void Learner_view_of_a_choice_item_keeps_the_options()
    {
        var view = Item(OneOfEachType[0]).ToLearnerView(0);
        Assert.Equal(2, view.GetProperty("options").GetArrayLength());
        Assert.Equal(JsonValueKind.Number, view.GetProperty("points").ValueKind);
    }
}
