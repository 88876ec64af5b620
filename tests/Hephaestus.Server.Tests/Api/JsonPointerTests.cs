using Hephaestus.Server.Api;

namespace Hephaestus.Server.Tests.Api;

public class JsonPointerTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("$", "")]
    [InlineData("email", "/email")]
    [InlineData("/levels/0", "/levels/0")]
    [InlineData("steps[1].title", "/steps/1/title")]
    [InlineData("steps[1].unlockRule/all/0/score/min", "/steps/1/unlockRule/all/0/score/min")]
    [InlineData("$.settings.feedback", "/settings/feedback")]
    [InlineData("$.parts[0].poolSkillId", "/parts/0/poolSkillId")]
    [InlineData("$['odd.name']", "/odd.name")]
    [InlineData("$['a/b~c']", "/a~1b~0c")]
    [InlineData("definition/options/1", "/definition/options/1")]
    [InlineData("responses.0190f2a4-0000-7000-8000-000000000001/optionId", "/responses/0190f2a4-0000-7000-8000-000000000001/optionId")]
    public void Every_notation_becomes_one_rfc_6901_pointer(string path, string pointer) => Assert.Equal(pointer, JsonPointer.From(path));
}
