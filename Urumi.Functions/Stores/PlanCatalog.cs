using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;
using Urumi.Hosting.Http;
using Urumi.Functions.Configuration;
using Urumi.Functions.Helm;

namespace Urumi.Functions.Stores;

/// <summary>Whether an (engine, plan) can be ordered here, and if not, each quota entry its store would exceed.</summary>
public sealed record PlanOffer(string Engine, string Plan, bool Offered, IReadOnlyList<string> Misfits);

/// <summary>
/// What can be ordered: each engine's chart rendered with this environment's values (`helm template`, once per
/// process), its <see cref="PlanFit.Demand"/> set against each plan's quota (with the Urumi:Plans overrides).
/// A store that cannot fit is refused when it is asked for, instead of waiting out helm's timeout.
/// </summary>
public sealed class PlanCatalog(HelmRunner helm, StoreCharts charts, IOptions<UrumiOptions> options)
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private IReadOnlyList<PlanOffer>? _offers;

    public async Task<IReadOnlyList<PlanOffer>> OffersAsync(CancellationToken ct = default)
    {
        if (_offers is { } known)
        {
            return known;
        }
        await _lock.WaitAsync(ct);
        try
        {
            return _offers ??= await ComputeAsync(ct);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The 422 for an (engine, plan) that cannot fit; null when it can.</summary>
    public async Task<IResult?> RefusalAsync(string engine, string plan, CancellationToken ct)
    {
        var offers = await OffersAsync(ct);
        var offer = offers.Single(o => o.Engine == engine && o.Plan == plan);
        if (offer.Offered)
        {
            return null;
        }
        var available = offers.Where(o => o.Offered).Select(o => $"{o.Engine}/{o.Plan}").ToList();
        var message = $"a {engine} store needs more than the {plan} plan's quota: {string.Join("; ", offer.Misfits)}";
        return Problems.Create(422, "plan-too-small", "The plan cannot hold this store",
            $"In the {options.Value.Environment} environment {message}. Offered here: {(available.Count == 0 ? "nothing" : string.Join(", ", available))}.",
            new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["plan"] = [.. offer.Misfits] } });
    }

    private async Task<IReadOnlyList<PlanOffer>> ComputeAsync(CancellationToken ct)
    {
        var o = options.Value;
        var cli = await helm.CliAsync();
        var offers = new List<PlanOffer>();
        foreach (var engine in Store.Engines)
        {
            var install = charts.Install($"{engine}-plan-check", engine, $"{engine}-plan-check.{o.StoreDomain}", o.Helm.Timeout);
            var rendered = KubernetesYaml.LoadAllFromString(await cli.TemplateAsync(install, ct))
                .OfType<IKubernetesObject<V1ObjectMeta>>();
            var demand = PlanFit.Demand(rendered);
            foreach (var plan in StorePlans.Names)
            {
                var misfits = PlanFit.Misfits(demand, StorePlans.Quota(plan, o.Plans));
                offers.Add(new PlanOffer(engine, plan, misfits.Count == 0, misfits));
            }
        }
        return offers;
    }
}
