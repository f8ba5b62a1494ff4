using System;
using System.Management.Automation;

namespace SsoSecret.Internal;

/// <summary>Lets -KdfParameters take what Measure-SsoKdf outputs, as well as KdfParameters themselves.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class KdfParametersTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value is SsoKdfMeasurement measurement ? measurement.Kdf : inputData;
    }
}
