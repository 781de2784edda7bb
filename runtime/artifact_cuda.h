// The CUDA half of opening an artifact (artifact.h): gpu_kernels.bin read and
// checked against the manifest and the plan, the GPU chosen, and each kernel
// loaded from the image that fits the GPU's architecture. Reading comes first
// and needs no driver, so a damaged directory is reported as such on any
// machine; only then is the driver asked for the device.
#pragma once

#include <string>

#include "runtime/executor.h"
#include "runtime/gpu_kernels_file.h"
#include "runtime/manifest.h"

namespace wick::rt {

// DIR/gpu_kernels.bin: its size and checksum against the manifest, its
// kernels against plan.kernels, its architectures against the manifest's.
// Every problem is a wick::Error naming the file.
GpuKernels read_artifact_gpu_kernels(const Manifest& m, const Plan& plan, const std::string& dir);

// The device a CUDA artifact runs on: $WICK_CUDA_DEVICE (a device index) when
// set, else 0. A value that is no index is a wick::Error naming `dir`.
int artifact_cuda_device(const std::string& dir);

// Opens the device (no driver, no such device or a GPU older than the code:
// UnsupportedDevice naming `dir`) and loads every kernel there: the cubin of
// the device's architecture where there is one, else the PTX.
CudaPlanKernels load_artifact_gpu_kernels(const GpuKernels& kernels, const std::string& dir);

}  // namespace wick::rt
