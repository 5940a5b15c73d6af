using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Urumi.Functions.Configuration;

namespace Urumi.Functions.Tests.Configuration;

public sealed class DurationSettingsTests
{
    /// <summary>Every TimeSpan setting under Urumi:, found by reflection so a new one is covered without editing this test.</summary>
    public static TheoryData<string> EveryDurationSetting()
    {
        var data = new TheoryData<string>();
        foreach (var key in DurationKeys(typeof(UrumiOptions), UrumiOptions.Section))
        {
            data.Add(key);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryDurationSetting))]
    public void Every_duration_setting_accepts_the_Kubernetes_form_and_the_dotnet_form(string key)
    {
        (string Text, TimeSpan Expected)[] forms =
        [
            ("90s", TimeSpan.FromSeconds(90)),
            ("10m", TimeSpan.FromMinutes(10)),
            ("1h30m", TimeSpan.FromMinutes(90)),
            ("1.5h", TimeSpan.FromMinutes(90)),
            ("2h45m30s", new TimeSpan(2, 45, 30)),
            ("1500ms", TimeSpan.FromMilliseconds(1500)),
            ("00:10:00", TimeSpan.FromMinutes(10)),
            ("1.02:03:04", new TimeSpan(1, 2, 3, 4)),
        ];
        foreach (var (text, expected) in forms)
        {
            // Read only: whether the value suits the other settings is the validator's business, tested elsewhere.
            var options = Bind(new Dictionary<string, string?> { [key] = text }, validate: false);

            Assert.True(expected == Read(options, key), $"{key} = {text} was read as {Read(options, key)}, not {expected}");
        }
    }

    [Theory]
    [InlineData("10 minutes")]
    [InlineData("10x")]
    [InlineData("h")]
    public void A_duration_in_neither_form_stops_the_app_and_names_both_forms(string text)
    {
        var error = Assert.ThrowsAny<InvalidOperationException>(() => Bind(new Dictionary<string, string?> { ["Urumi:Helm:Timeout"] = text }));

        Assert.Contains("10m", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("00:10:00", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_helm_timeout_longer_than_the_default_deadline_moves_the_deadline_unless_one_is_set()
    {
        var moved = Bind(new Dictionary<string, string?> { ["Urumi:Helm:Timeout"] = "1h" });
        var kept = Bind(new Dictionary<string, string?> { ["Urumi:Helm:Timeout"] = "1m", ["Urumi:Provisioning:Deadline"] = "20m" });

        Assert.Equal(TimeSpan.FromMinutes(70), moved.Provisioning.Deadline);
        Assert.Equal(TimeSpan.FromMinutes(20), kept.Provisioning.Deadline);
    }

    private static UrumiOptions Bind(Dictionary<string, string?> settings, bool validate = true)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var collection = new ServiceCollection().AddUrumiOptions(configuration);
        if (!validate)
        {
            collection.RemoveAll<IValidateOptions<UrumiOptions>>();
        }
        using var services = collection.BuildServiceProvider();
        return services.GetRequiredService<IOptions<UrumiOptions>>().Value;
    }

    private static IEnumerable<string> DurationKeys(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var key = $"{prefix}:{property.Name}";
            if (property.PropertyType == typeof(TimeSpan) || property.PropertyType == typeof(TimeSpan?))
            {
                yield return key;
            }
            else if (property.PropertyType.IsClass && property.PropertyType.Namespace == typeof(UrumiOptions).Namespace)
            {
                foreach (var inner in DurationKeys(property.PropertyType, key))
                {
                    yield return inner;
                }
            }
        }
    }

    private static TimeSpan Read(UrumiOptions options, string key)
    {
        object value = options;
        foreach (var segment in key.Split(':').Skip(1))
        {
            value = value.GetType().GetProperty(segment)!.GetValue(value)!;
        }
        return (TimeSpan)value;
    }
}
