import { describe, expect, it } from 'vitest';
import { tail } from './kubelet-server.js';

describe('kubelet containerLogs tailLines', () => {
  it('keeps the last lines, with or without a final newline', () => {
    expect(tail('a\nb\nc\n', 2)).toBe('b\nc\n');
    expect(tail('a\nb\nc', 2)).toBe('b\nc');
    expect(tail('a\nb\n', 5)).toBe('a\nb\n');
    expect(tail('a\nb\n', 0)).toBe('');
    expect(tail('a\nb\n', undefined)).toBe('a\nb\n');
  });
});
