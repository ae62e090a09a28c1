using System.Net;
using System.Net.Sockets;
using MeshDns.Kubernetes;
using MeshDns.Protocol;

namespace MeshDns.Plugins.Kubernetes;

/// <summary>How the Kubernetes DNS specification (and CoreDNS) spells names built from objects and addresses.</summary>
public static class RecordNames
{
    private static readonly DnsName InAddrArpa = DnsName.Parse("in-addr.arpa.");
    private static readonly DnsName Ip6Arpa = DnsName.Parse("ip6.arpa.");

    /// <summary>True for zones under <c>in-addr.arpa.</c> or <c>ip6.arpa.</c>.</summary>
    public static bool IsReverseZone(DnsName zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return zone.IsSubdomainOf(InAddrArpa) || zone.IsSubdomainOf(Ip6Arpa);
    }

    /// <summary>
    /// The first label of an endpoint's own name (<c>host.svc.ns.svc.zone</c>): its <c>hostname</c>; else, with
    /// <c>endpoint_pod_names</c>, the name of the pod it targets (when shorter than 64 characters); else the address
    /// with dashes (<c>10-1-2-3</c>, <c>fd00-1--5</c>; an IPv6 form ending in a dash gets a <c>0</c>).
    /// </summary>
    public static string EndpointHostname(EndpointInfo endpoint, IPAddress address, bool endpointPodNames)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(address);
        if (!string.IsNullOrEmpty(endpoint.Hostname))
        {
            return endpoint.Hostname;
        }

        if (endpointPodNames && endpoint.TargetRef is { Name: { Length: > 0 and < 64 } pod })
        {
            return pod;
        }

        return DashedAddress(address, zeroAfterTrailingDash: true);
    }

    /// <summary>
    /// An address as one label: dots or colons become dashes. Endpoint names append <c>0</c> to an IPv6 form that
    /// ends with a dash (<c>fd00--</c> is not a usable label end); pod names do not (CoreDNS reads them back as is).
    /// </summary>
    public static string DashedAddress(IPAddress address, bool zeroAfterTrailingDash)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return address.ToString().Replace('.', '-');
        }

        var dashed = address.ToString().Replace(':', '-');
        return zeroAfterTrailingDash && dashed.EndsWith('-') ? dashed + "0" : dashed;
    }

    /// <summary>
    /// Reads a pod label back into an address as CoreDNS does: exactly three dashes and no <c>--</c> is IPv4 (dashes
    /// become dots), anything else is tried as IPv6 (dashes become colons).
    /// </summary>
    public static bool TryParsePodLabel(ReadOnlySpan<byte> label, out IPAddress address)
    {
        address = IPAddress.None;
        if (label.IsEmpty || label.Length > 45)
        {
            return false;
        }

        Span<char> text = stackalloc char[label.Length];
        var dashes = 0;
        var doubleDash = false;
        for (var i = 0; i < label.Length; i++)
        {
            var c = (char)label[i];
            if (c == '-')
            {
                dashes++;
                doubleDash |= i > 0 && label[i - 1] == '-';
            }

            text[i] = c;
        }

        var v4 = dashes == 3 && !doubleDash;
        text.Replace('-', v4 ? '.' : ':');
        if (!IPAddress.TryParse(text, out var parsed))
        {
            return false;
        }

        // IPAddress.TryParse accepts shorthands (a single number) that Go's ParseIP refuses.
        if (v4 != (parsed.AddressFamily == AddressFamily.InterNetwork) || text.Contains('%'))
        {
            return false;
        }

        address = parsed;
        return true;
    }

    /// <summary>
    /// Builds <c>label1.label2...zone</c>. False when a label is empty, longer than 63 octets, not ASCII or holds a
    /// dot, or the name would exceed 255 octets (such objects get no names, as they could not be asked for).
    /// </summary>
    public static bool TryJoin(DnsName zone, out DnsName name, params ReadOnlySpan<string> labels)
    {
        ArgumentNullException.ThrowIfNull(zone);
        name = zone;
        Span<byte> wire = stackalloc byte[WireName.MaxLength];
        var position = 0;
        foreach (var label in labels)
        {
            if (label.Length is 0 or > WireName.MaxLabelLength || position + 1 + label.Length > WireName.MaxLength)
            {
                return false;
            }

            wire[position++] = (byte)label.Length;
            foreach (var c in label)
            {
                if (c is <= ' ' or >= (char)0x7F or '.')
                {
                    return false;
                }

                wire[position++] = (byte)c;
            }
        }

        if (position + zone.WireLength > WireName.MaxLength)
        {
            return false;
        }

        zone.Wire.CopyTo(wire[position..]);
        name = DnsName.FromWire(wire[..(position + zone.WireLength)]);
        return true;
    }
}
