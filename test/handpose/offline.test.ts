/**
 * No request leaves the process while a landmarker is assembled, created, used and closed. Every way Node.js can
 * open a connection is watched (fetch, http/https, tls, net, dgram); a positive control in the same test shows
 * that the watch sees a real attempt.
 */
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandLandmarker } from '../../src/handpose/mediapipe-hand-landmarker.js';
import { tempDir } from '../helpers.js';
import { loadPhoto } from './photos.js';

type Restore = () => void;

/** Wraps `object[key]` so that every call is recorded under `label`, then passed on unchanged. */
function watch(calls: string[], label: string, object: object, key: string): Restore {
  const target = object as Record<string, unknown>;
  const original = target[key] as (...args: unknown[]) => unknown;
  target[key] = function (this: unknown, ...args: unknown[]) {
    calls.push(`${label}(${typeof args[0] === 'string' ? args[0] : args[0] instanceof URL ? args[0].href : typeof args[0]})`);
    return original.apply(this, args);
  };
  return () => {
    target[key] = original;
  };
}

/** Watches every network entry point; returns the call log and a function that undoes the watch. */
function watchNetwork(): { calls: string[]; restore: Restore } {
  const calls: string[] = [];
  const restores = [
    watch(calls, 'fetch', globalThis, 'fetch'),
    watch(calls, 'http.request', http, 'request'),
    watch(calls, 'http.get', http, 'get'),
    watch(calls, 'https.request', https, 'request'),
    watch(calls, 'https.get', https, 'get'),
    watch(calls, 'tls.connect', tls, 'connect'),
    watch(calls, 'net.connect', net, 'connect'),
    watch(calls, 'net.createConnection', net, 'createConnection'),
    watch(calls, 'net.Socket.connect', net.Socket.prototype, 'connect'),
    watch(calls, 'dgram.Socket.send', dgram.Socket.prototype, 'send'),
  ];
  if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function') restores.push(watch(calls, 'WebSocket', globalThis, 'WebSocket'));
  return { calls, restore: () => restores.reverse().forEach((r) => r()) };
}

describe('offline', () => {
  let restore: Restore | undefined;
  afterEach(() => restore?.());

  it('assembling, creating, running and closing the landmarker makes no network request; the watch catches one that is made', async () => {
    const cacheDir = tempDir('promotion-offline-');
    const network = watchNetwork();
    restore = network.restore;

    // Fresh cache: the model is assembled inside the watched window too.
    for (const mode of ['video', 'image'] as const) {
      const estimator = await createHandLandmarker({ mode, model: 'lite', cacheDir });
      const photo = await loadPhoto('Back_Projection_Theory0');
      expect((await estimator.estimate(photo)).hands).toHaveLength(1);
      expect((await estimator.estimate({ ...photo, index: 1, timestampMs: 33 })).hands).toHaveLength(1);
      await estimator.close();
    }
    // Give any timer a library might have armed (telemetry is sent on close and every 60 s in 1.x) a chance to run.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(network.calls).toEqual([]);

    // Positive control: real attempts, refused or never answered, are seen.
    await fetch('http://127.0.0.1:9/').catch(() => undefined);
    const request = https.request({ host: '203.0.113.1', port: 443, path: '/', timeout: 1 });
    request.on('error', () => undefined);
    request.destroy();
    expect(network.calls).toContain('fetch(http://127.0.0.1:9/)');
    expect(network.calls).toContain('https.request(object)');
    expect(network.calls.some((c) => c.startsWith('net.Socket.connect') || c.startsWith('tls.connect'))).toBe(true);
  });
});
