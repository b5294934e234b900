import { allImageObjectKeys, imageObjectKeys, isValidObjectKey, newObjectKey } from '../../src/storage/object-storage';

describe('object keys', () => {
  it('are 128 random bits that say nothing about the image or its sender', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => newObjectKey()));
    expect(keys.size).toBe(1000);
    for (const key of keys) expect(key).toMatch(/^img\/[0-9a-f]{32}$/);
  });

  it('name the renditions below the base', () => {
    expect(imageObjectKeys('img/abc')).toEqual({
      original: 'img/abc/original',
      preview: 'img/abc/preview.webp',
      thumbnail: 'img/abc/thumb.webp',
    });
    expect(allImageObjectKeys('img/abc')).toHaveLength(3);
    expect(allImageObjectKeys(newObjectKey()).every(isValidObjectKey)).toBe(true);
  });

  it.each(['', '/img/a', 'img/', 'img//a', '../a', 'img/../a', 'img/./a', '.env', 'img/a b', 'img\\a', 'img/%2e', 'x'.repeat(513)])(
    'refuses %j',
    (key) => {
      expect(isValidObjectKey(key)).toBe(false);
    },
  );
});
