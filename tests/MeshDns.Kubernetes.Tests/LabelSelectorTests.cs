using FsCheck;
using FsCheck.Fluent;

namespace MeshDns.Kubernetes.Tests;

public sealed class LabelSelectorTests
{
    private static readonly Dictionary<string, string> Labels = new()
    {
        ["app"] = "web",
        ["tier"] = "frontend",
        ["example.com/team"] = "dns",
        ["replicas"] = "3",
    };

    [Theory]
    [InlineData("", true)]
    [InlineData("app=web", true)]
    [InlineData("app==web", true)]
    [InlineData("app=db", false)]
    [InlineData("app!=db", true)]
    [InlineData("missing!=x", true)]
    [InlineData("app in (web, db)", true)]
    [InlineData("app in (db)", false)]
    [InlineData("app notin (db,cache)", true)]
    [InlineData("missing notin (x)", true)]
    [InlineData("app notin (web)", false)]
    [InlineData("tier", true)]
    [InlineData("!tier", false)]
    [InlineData("!missing", true)]
    [InlineData("example.com/team=dns,tier=frontend", true)]
    [InlineData("example.com/team=dns, tier=backend", false)]
    [InlineData("replicas>2", true)]
    [InlineData("replicas<3", false)]
    [InlineData(" app = web , !missing ", true)]
    public void Matches_Expression_AsKubernetesDoes(string expression, bool expected) =>
        Assert.Equal(expected, LabelSelector.Parse(expression).Matches(Labels));

    [Theory]
    [InlineData("app=")]
    [InlineData("=web")]
    [InlineData("app in web")]
    [InlineData("app in (web")]
    [InlineData("app ~ web")]
    [InlineData("app=we/b")]
    [InlineData("app=-web")]
    [InlineData("app web")]
    [InlineData("replicas>x")]
    [InlineData("/app=web")]
    public void Parse_Malformed_ThrowsWithPosition(string expression)
    {
        if (expression == "app=")
        {
            // An empty value is legal in Kubernetes ("app=" selects app with an empty value).
            Assert.False(LabelSelector.Parse(expression).Matches(Labels));
            return;
        }

        var error = Assert.Throws<FormatException>(() => LabelSelector.Parse(expression));
        Assert.Contains("position", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_Canonical_RoundTrips()
    {
        var selector = LabelSelector.Parse("app in (web,db), !legacy,tier!=cache, team");
        Assert.Equal("app in (web,db),!legacy,tier!=cache,team", selector.ToString());
        Assert.Equal(selector, LabelSelector.Parse(selector.ToString()));
    }

    [Fact]
    public void Property_EqualityRequirement_MatchesExactlyWhenValueEqual()
    {
        var names = Gen.Elements("a", "b", "app", "x.io/y");
        var values = Gen.Elements("1", "v", "web", "db");
        Prop.ForAll(
            Arb.From(names.SelectMany(key => values.SelectMany(wanted => values.Select(actual => (key, wanted, actual))))),
            ((string Key, string Wanted, string Actual) t) =>
            {
                var (key, wanted, actual) = t;
                var labels = new Dictionary<string, string> { [key] = actual };
                var equal = LabelSelector.Parse($"{key}={wanted}").Matches(labels);
                var notEqual = LabelSelector.Parse($"{key}!={wanted}").Matches(labels);
                var inSet = LabelSelector.Parse($"{key} in ({wanted})").Matches(labels);
                return equal == (wanted == actual) && notEqual == !equal && inSet == equal
                    && LabelSelector.Parse(LabelSelector.Parse($"{key} notin ({wanted}),{key}").ToString()).Matches(labels) == (wanted != actual);
            }).QuickCheckThrowOnFailure();
    }
}
