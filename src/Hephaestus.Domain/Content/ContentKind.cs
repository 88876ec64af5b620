namespace Hephaestus.Domain.Content;

/// <summary>
/// What a content item is (content_items.kind; wire names snake_case). The CHECK constraint ck_content_items_kind holds
/// the same list (a Data test compares them), so adding a kind is this enum plus a migration that widens the CHECK.
/// </summary>
public enum ContentKind
{
    Lesson,
    Explanation,
    WorkedExample,
    Hint,
    ItemStem,
    Feedback,
    Summary,
    Image,
    Video,
    Audio,
    Interactive,
}
