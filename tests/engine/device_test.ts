import assert from "node:assert/strict";
import {
  acquireDevice,
  GpuDeviceError,
  GpuUnavailableError,
  isSoftwareAdapter,
  Tensor,
} from "../../engine/mod.ts";
import { hasAdapter, testGpu } from "./support.ts";

Deno.test("acquireDevice() names missing navigator.gpu", async () => {
  await assert.rejects(() => acquireDevice({ gpu: null }), (e: unknown) => {
    assert.ok(e instanceof GpuUnavailableError);
    assert.match(e.message, /navigator\.gpu/);
    return true;
  });
});

Deno.test("acquireDevice() explains a missing adapter", async () => {
  const gpu = { requestAdapter: () => Promise.resolve(null) } as unknown as GPU;
  await assert.rejects(() => acquireDevice({ gpu }), (e: unknown) => {
    assert.ok(e instanceof GpuUnavailableError);
    assert.match(e.message, /No WebGPU adapter/);
    assert.match(e.message, /mesa-vulkan-drivers/);
    return true;
  });
});

Deno.test("acquireDevice() names a limit below the engine minimum", async () => {
  const adapter = {
    info: { vendor: "", architecture: "", device: "", description: "tiny", isFallbackAdapter: false },
    features: new Set(),
    limits: new Proxy({}, { get: (_t, name) => name === "maxStorageBufferBindingSize" ? 1024 : 1 << 30 }),
  };
  const gpu = { requestAdapter: () => Promise.resolve(adapter) } as unknown as GPU;
  await assert.rejects(() => acquireDevice({ gpu }), (e: unknown) => {
    assert.ok(e instanceof GpuUnavailableError);
    assert.match(e.message, /maxStorageBufferBindingSize is 1024, the engine needs at least 134217728/);
    return true;
  });
});

Deno.test("isSoftwareAdapter() recognises CPU rasterisers", () => {
  const info = { vendor: "", architecture: "", device: "", description: "", isFallbackAdapter: false };
  assert.equal(isSoftwareAdapter({ ...info, description: "llvmpipe (LLVM 15.0.6, 256 bits)" }), true);
  assert.equal(isSoftwareAdapter({ ...info, device: "SwiftShader Device (Subzero)" }), true);
  assert.equal(isSoftwareAdapter({ ...info, isFallbackAdapter: true }), true);
  assert.equal(isSoftwareAdapter({ ...info, description: "NVIDIA H100 80GB HBM3" }), false);
});

Deno.test({
  name: "acquireDevice() raises limits to the adapter's and records adapter info",
  ignore: !hasAdapter,
  fn: async () => {
    const adapter = (await navigator.gpu.requestAdapter())!;
    const gpu = await testGpu();
    try {
      assert.equal(gpu.limits.maxStorageBufferBindingSize, adapter.limits.maxStorageBufferBindingSize);
      assert.equal(gpu.limits.maxComputeWorkgroupStorageSize, adapter.limits.maxComputeWorkgroupStorageSize);
      assert.equal(gpu.adapterInfo.description, adapter.info.description);
      assert.equal(typeof gpu.adapterInfo.isFallbackAdapter, "boolean");
      if (adapter.features.has("shader-f16")) assert.ok(gpu.features.has("shader-f16"));
      assert.equal(gpu.gemmFamily === "software", gpu.software);
    } finally {
      await gpu.destroy();
    }
  },
});

Deno.test({
  name: "acquireDevice() names a required feature the adapter lacks",
  ignore: !hasAdapter,
  fn: async () => {
    await assert.rejects(
      () => acquireDevice({ requiredFeatures: ["no-such-feature" as GPUFeatureName] }),
      /lacks the required feature "no-such-feature"/,
    );
  },
});

Deno.test({
  name: "Gpu.sync() throws the compile error of an invalid kernel, naming it",
  ignore: !hasAdapter,
  fn: async () => {
    const gpu = await testGpu();
    try {
      const out = Tensor.zeros(gpu, [4]);
      const broken = { name: "broken", source: "this is not WGSL", bindings: ["read_write"] as const };
      gpu.dispatch(broken, { resources: [out.buffer], workgroups: [1] });
      await assert.rejects(() => gpu.sync(), (e: unknown) => {
        assert.ok(e instanceof GpuDeviceError);
        assert.match(e.message, /compiling kernel broken/);
        return true;
      });
    } finally {
      await gpu.destroy();
    }
  },
});

Deno.test({
  name: "Gpu.flush() surfaces uncaptured validation errors as GpuDeviceError",
  ignore: !hasAdapter,
  fn: async () => {
    const gpu = await testGpu();
    try {
      // Mapping a storage buffer is a validation error reported through 'uncapturederror'.
      gpu.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
      await gpu.device.queue.onSubmittedWorkDone();
      await assert.rejects(() => gpu.sync(), GpuDeviceError);
      await gpu.sync();
    } finally {
      await gpu.destroy();
    }
  },
});

Deno.test({
  name: "device loss surfaces as GpuDeviceError at the next flush",
  ignore: !hasAdapter,
  fn: async () => {
    const gpu = await testGpu();
    gpu.device.destroy();
    const info = await gpu.device.lost;
    assert.equal(info.reason, "destroyed");
    assert.throws(() => gpu.flush(), /device lost \(destroyed\)/);
  },
});

Deno.test({
  name: "a destroyed Gpu refuses further work",
  ignore: !hasAdapter,
  fn: async () => {
    const gpu = await testGpu();
    const t = Tensor.zeros(gpu, [4]);
    await gpu.destroy();
    assert.throws(() => gpu.flush(), GpuDeviceError);
    assert.throws(() => gpu.clearBuffer(t.buffer), GpuDeviceError);
  },
});
