namespace Hephaestus.Server.Web;

/// <summary>
/// The web app's text: every string a page shows is a key of Strings.resx (English, the key itself), so a translation
/// is one more Strings.&lt;culture&gt;.resx beside it. A test holds that every key the pages use is in the file.
/// </summary>
public sealed class Strings;
