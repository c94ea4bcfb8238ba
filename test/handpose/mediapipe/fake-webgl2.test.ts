import { describe, expect, it } from 'vitest';
import { FakeCanvas, GL, UNSUPPORTED_WEBGL_CALLS, type FakeWebGl2Context } from '../../../src/handpose/mediapipe/fake-webgl2.js';

/** A w x h RGBA image whose pixel (x, y) is (x, y, x + y, 255). */
function rgba(width: number, height: number): { data: Uint8ClampedArray; width: number; height: number } {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x, y, x + y, 255], (y * width + x) * 4);
  return { data, width, height };
}

function context(): FakeWebGl2Context {
  const gl = new FakeCanvas().getContext('webgl2');
  if (!gl) throw new Error('no context');
  return gl;
}

/** Attaches `texture` to a new framebuffer bound for reading. */
function readBack(gl: FakeWebGl2Context, texture: ReturnType<FakeWebGl2Context['createTexture']>) {
  const framebuffer = gl.createFramebuffer();
  gl.bindFramebuffer(GL.FRAMEBUFFER, framebuffer);
  gl.framebufferTexture2D(GL.FRAMEBUFFER, GL.COLOR_ATTACHMENT0, GL.TEXTURE_2D, texture, 0);
  expect(gl.checkFramebufferStatus(GL.FRAMEBUFFER)).toBe(GL.FRAMEBUFFER_COMPLETE);
}

describe('CPU-only WebGL2 shim', () => {
  it('gives a webgl2 context only, the same one each time', () => {
    const canvas = new FakeCanvas();
    expect(canvas.getContext('webgl')).toBeNull();
    expect(canvas.getContext('2d')).toBeNull();
    expect(canvas.getContext('webgl2')).toBe(canvas.getContext('webgl2'));
  });

  it('keeps uploaded pixels: readPixels returns them, whole or a region, at an offset into a larger array', () => {
    const gl = context();
    const texture = gl.createTexture();
    gl.bindTexture(GL.TEXTURE_2D, texture);
    const image = rgba(5, 4);
    gl.texImage2D(GL.TEXTURE_2D, 0, GL.RGBA, GL.RGBA, GL.UNSIGNED_BYTE, image);
    readBack(gl, texture);
    const all = new Uint8Array(5 * 4 * 4);
    gl.readPixels(0, 0, 5, 4, GL.RGBA, GL.UNSIGNED_BYTE, all);
    expect(Array.from(all)).toEqual(Array.from(image.data));
    const region = new Uint8Array(8 + 2 * 2 * 4);
    gl.readPixels(3, 1, 2, 2, GL.RGBA, GL.UNSIGNED_BYTE, region, 8);
    expect(Array.from(region.subarray(8))).toEqual([3, 1, 4, 255, 4, 1, 5, 255, 3, 2, 5, 255, 4, 2, 6, 255]);
  });

  it('honours UNPACK_FLIP_Y_WEBGL, texStorage2D + texSubImage2D, and texImage2D from a typed array', () => {
    const gl = context();
    const texture = gl.createTexture();
    gl.bindTexture(GL.TEXTURE_2D, texture);
    gl.pixelStorei(GL.UNPACK_FLIP_Y_WEBGL, true);
    gl.texImage2D(GL.TEXTURE_2D, 0, GL.RGBA, GL.RGBA, GL.UNSIGNED_BYTE, rgba(2, 3));
    gl.pixelStorei(GL.UNPACK_FLIP_Y_WEBGL, false);
    readBack(gl, texture);
    const out = new Uint8Array(2 * 3 * 4);
    gl.readPixels(0, 0, 2, 1, GL.RGBA, GL.UNSIGNED_BYTE, out);
    expect(Array.from(out.subarray(0, 8))).toEqual([0, 2, 2, 255, 1, 2, 3, 255]); // the last row came first

    const stored = gl.createTexture();
    gl.bindTexture(GL.TEXTURE_2D, stored);
    gl.texStorage2D(GL.TEXTURE_2D, 1, GL.RGBA8, 4, 4);
    gl.texSubImage2D(GL.TEXTURE_2D, 0, 1, 2, 2, 1, GL.RGBA, GL.UNSIGNED_BYTE, new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2]));
    readBack(gl, stored);
    const row = new Uint8Array(16);
    gl.readPixels(0, 2, 4, 1, GL.RGBA, GL.UNSIGNED_BYTE, row);
    expect(Array.from(row)).toEqual([0, 0, 0, 0, 9, 8, 7, 6, 5, 4, 3, 2, 0, 0, 0, 0]);

    const typed = gl.createTexture();
    gl.bindTexture(GL.TEXTURE_2D, typed);
    const heap = new Uint8Array(4 + 4).fill(7);
    heap.set([1, 2, 3, 4], 4);
    gl.texImage2D(GL.TEXTURE_2D, 0, GL.RGBA, 1, 1, 0, GL.RGBA, GL.UNSIGNED_BYTE, heap, 4);
    readBack(gl, typed);
    const pixel = new Uint8Array(4);
    gl.readPixels(0, 0, 1, 1, GL.RGBA, GL.UNSIGNED_BYTE, pixel);
    expect(Array.from(pixel)).toEqual([1, 2, 3, 4]);
  });

  it('answers the start-up queries: limits, version, no extensions, compiled and linked programs, signalled syncs', () => {
    const gl = context();
    expect(gl.getParameter(GL.MAX_TEXTURE_SIZE)).toBe(16384);
    expect(gl.getParameter(GL.MAX_VERTEX_ATTRIBS)).toBe(16);
    expect(gl.getParameter(GL.VERSION)).toMatch(/^WebGL 2\.0/);
    expect(gl.getExtension('EXT_color_buffer_float')).toBeNull();
    expect(gl.getSupportedExtensions()).toEqual([]);
    const shader = gl.createShader(GL.FRAGMENT_SHADER);
    gl.shaderSource(shader, 'void main() {}');
    gl.compileShader(shader);
    expect(gl.getShaderParameter(shader, GL.COMPILE_STATUS)).toBe(true);
    const program = gl.createProgram();
    gl.attachShader(program, shader);
    gl.bindAttribLocation(program, 3, 'position');
    gl.linkProgram(program);
    expect(gl.getProgramParameter(program, GL.LINK_STATUS)).toBe(true);
    expect(gl.getAttribLocation(program, 'position')).toBe(3);
    const sync = gl.fenceSync();
    expect(gl.clientWaitSync()).toBe(GL.ALREADY_SIGNALED);
    expect(gl.getSyncParameter(sync, GL.SYNC_STATUS)).toBe(GL.SIGNALED);
    expect(gl.getError()).toBe(GL.NO_ERROR);
  });

  it('fails loudly, naming the call, on anything that needs rendering or that it does not know', () => {
    const gl = context() as unknown as Record<string, (...args: unknown[]) => unknown>;
    expect(() => gl.drawArrays!(GL.TRIANGLE_FAN, 0, 4)).toThrow(/^CPU-only WebGL2 shim: gl\.drawArrays\(\) is not supported because it needs real GPU rendering\./);
    for (const call of UNSUPPORTED_WEBGL_CALLS) expect(() => gl[call]!(), call).toThrow(`gl.${call}()`);
    const real = context();
    expect(() => real.getParameter(0x1234)).toThrow('gl.getParameter(0x1234)() is not supported because the shim does not know that parameter');
    expect(() => real.readPixels(0, 0, 1, 1, GL.RGBA, GL.UNSIGNED_BYTE, new Uint8Array(4))).toThrow('gl.readPixels on the default framebuffer() is not supported');
    const texture = real.createTexture();
    real.bindTexture(GL.TEXTURE_2D, texture);
    real.texImage2D(GL.TEXTURE_2D, 0, GL.RGBA, GL.RGBA, GL.UNSIGNED_BYTE, rgba(2, 2));
    readBack(real, texture);
    expect(() => real.readPixels(0, 0, 2, 2, GL.RGBA, GL.FLOAT, new Float32Array(16))).toThrow('does not convert formats');
    expect(() => real.texImage2D(GL.TEXTURE_2D, 0, GL.RGBA, GL.RGBA, GL.UNSIGNED_BYTE, { width: 1, height: 1 })).toThrow(
      'only RGBA 8-bit ImageData-like sources ({ data, width, height }) can be read in Node',
    );
  });
});
