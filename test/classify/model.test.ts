import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog.ts';
import type { ClassScore } from '../../src/domain.ts';
import { combineWithModel } from '../../src/classify/model/combine.ts';
import { groupedFolds, trainingDocs, type LabelledRow } from '../../src/classify/model/data.ts';
import { MAX_FEATURE_CHARS, postFeatures, TITLE_PREFIX } from '../../src/classify/model/features.ts';
import { createLinearModel, DEFAULT_MODEL_PATH, loadClassModel, MODEL_FORMAT, type ModelFile } from '../../src/classify/model/linear.ts';
import { trainModel, type TrainingDoc } from '../../src/classify/model/train.ts';
import { foldWidth } from '../../src/classify/normalize.ts';
import { projectPath } from '../../src/paths.ts';
import { createClassifier } from '../../src/classify/index.ts';
import { createJiebaTokenizer } from '../../src/classify/tokenizer.ts';
import { NOW, ROUTING } from './helpers.ts';

const training = { seed: 1, epochs: 1, l2: 0, rate: 0.3, prune: 0.3, sources: [] };
const toy = (weights: Record<string, number[]>, bias = [0, 0, 0], support: Record<string, number> = { '1202': 50, '1208': 50, '1303': 50 }): ModelFile => ({
  format: MODEL_FORMAT,
  training: { ...training, support },
  classes: ['1202', '1208', '1303'],
  bias,
  weights,
});
const names = new Map([['1202', '工商管理类'], ['1208', '电子商务类'], ['1303', '戏剧与影视学类']]);
const lexClass = (code: string, confidence: number, kind = 'role-term'): ClassScore => ({ code, name: names.get(code)!, confidence, evidence: [{ term: 'x', weight: 1, kind }] });

describe('postFeatures', () => {
  it('reads bigrams and Latin words, and the title again under its prefix, without the 招聘 opener', () => {
    const f = postFeatures(foldWidth('招聘短视频剪辑。负责抖音视频，熟练使用PR、AE'));
    expect(f).toContain(`${TITLE_PREFIX}剪辑`);
    expect(f).toContain('剪辑');
    expect(f).toContain('pr');
    expect(f).toContain('ae');
    expect(f).not.toContain(`${TITLE_PREFIX}招聘`);
    expect(f).not.toContain(`${TITLE_PREFIX}抖音`); // body, not title
    expect(new Set(f).size).toBe(f.length);
  });

  it('reads at most MAX_FEATURE_CHARS of a post, so a pasted log costs what its head costs', () => {
    const head = '招聘运营专员。'.repeat(Math.ceil(MAX_FEATURE_CHARS / 7));
    expect(postFeatures(head + '天猫店铺'.repeat(50_000))).toEqual(postFeatures(head.slice(0, MAX_FEATURE_CHARS)));
  });
});

describe('trainModel', () => {
  const docs: TrainingDoc[] = [
    { features: postFeatures('视频剪辑师'), labels: ['1303'], weight: 1 },
    { features: postFeatures('短视频拍摄剪辑'), labels: ['1303'], weight: 1 },
    { features: postFeatures('天猫店铺运营'), labels: ['1208'], weight: 1 },
    { features: postFeatures('淘宝店铺运营专员'), labels: ['1208'], weight: 1 },
    { features: postFeatures('市场营销策划'), labels: ['1202', '1208'], weight: 1 },
  ];
  const options = { seed: 7, epochs: 30, l2: 1e-4, rate: 0.3, prune: 0.05 };

  it('learns which class each post names, and splits a two-class post between them', () => {
    const model = createLinearModel({ ...trainModel(docs, ['1202', '1208', '1303'], options), training });
    expect(model.predict(postFeatures('剪辑师'))[0]!.code).toBe('1303');
    expect(model.predict(postFeatures('店铺运营'))[0]!.code).toBe('1208');
    const both = model.predict(postFeatures('市场营销策划'), 0).map((x) => x.code);
    expect(both.slice(0, 2).sort()).toEqual(['1202', '1208']);
  });

  it('is deterministic: the same documents and seed give the same file', () => {
    const a = JSON.stringify(trainModel(docs, ['1202', '1208', '1303'], options));
    expect(JSON.stringify(trainModel(docs, ['1202', '1208', '1303'], options))).toBe(a);
    expect(JSON.stringify(trainModel(docs, ['1202', '1208', '1303'], { ...options, seed: 8 }))).not.toBe(a);
  });

  it('stores each feature centred: the weight most classes share is 0 and is left out', () => {
    const file = trainModel(docs, ['1202', '1208', '1303'], options);
    // 3 classes: the median class of every feature is exactly 0 after centring, so it is never stored.
    for (const flat of Object.values(file.weights)) expect(flat.length / 2).toBeLessThanOrEqual(2);
  });
});

describe('createLinearModel', () => {
  it('rejects a file it cannot read, saying what is wrong', () => {
    expect(() => createLinearModel({ ...toy({}), format: 'other' as typeof MODEL_FORMAT })).toThrow(/format other/);
    expect(() => createLinearModel(toy({ ab: [3, 1] }))).toThrow(/class index 3 of 'ab' out of range/);
    expect(() => createLinearModel(toy({ ab: [0] }))).toThrow(/not \[class, weight\] pairs/);
    expect(() => createLinearModel(toy({}, [0]))).toThrow(/3 classes and 1 biases/);
  });

  it('explains a class by the post features that raise it, title and body bigram as one term', () => {
    const model = createLinearModel(toy({ 剪辑: [2, 2], [`${TITLE_PREFIX}剪辑`]: [2, 1], 店铺: [1, 3], 视频: [2, -1] }));
    const f = ['剪辑', `${TITLE_PREFIX}剪辑`, '视频', '其他'];
    expect(model.predict(f)[0]!.code).toBe('1303');
    expect(model.explain(f, '1303')).toEqual([{ term: '剪辑', weight: 1.5 }]);
    expect(model.explain(f, '1208')).toEqual([]);
  });

  it('analyse looks the features up once and agrees with known, predict and explain (property)', () => {
    const model = loadClassModel()!;
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.array(fc.constantFrom('剪辑', '运营', '会计', '嵌入式', 'plc', '编辑', '天猫店铺'), { maxLength: 6 }), (noise, words) => {
        const f = postFeatures(foldWidth(words.join('，') + noise));
        const a = model.analyse(f, 0.001);
        expect(a.known).toBe(model.known(f));
        expect(a.probabilities).toEqual(model.predict(f, 0.001));
        for (const code of a.probabilities.slice(0, 3).map((x) => x.code)) expect(a.explain(code, 4)).toEqual(model.explain(f, code, 4));
      }),
      { numRuns: 150 },
    );
  });

  it('gives probabilities: finite, highest first, summing to at most 1 (property)', () => {
    const model = loadClassModel()!;
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.array(fc.constantFrom('剪辑', '运营', '会计', '嵌入式', 'plc', '编辑'), { maxLength: 6 }), (noise, words) => {
        const probs = model.predict(postFeatures(foldWidth(words.join('，') + noise)), 0);
        const sum = probs.reduce((a, x) => a + x.p, 0);
        expect(Math.abs(sum - 1)).toBeLessThan(1e-6);
        for (let i = 1; i < probs.length; i++) expect(probs[i]!.p).toBeLessThanOrEqual(probs[i - 1]!.p);
      }),
      { numRuns: 200 },
    );
  });
});

describe('combineWithModel', () => {
  // The model: '剪辑' points to 1303, '店铺' to 1208; nothing points to 1202.
  const model = createLinearModel(toy({ 剪辑: [2, 6], 店铺: [1, 6], 营销: [0, -4] }));

  it('keeps a requirement naming majors exactly as the lexicon read it', () => {
    const lexicon = { classes: [lexClass('1202', 0.97, 'major-name')], requirement: true };
    expect(combineWithModel(lexicon, model, '剪辑 店铺', names).classes).toBe(lexicon.classes);
  });

  it('keeps a class the post names even when the model disagrees', () => {
    const lexicon = { classes: [lexClass('1303', 0.8), lexClass('1202', 0.3, 'alias-preferred')], requirement: false };
    expect(combineWithModel(lexicon, model, '剪辑 营销', names).classes.map((c) => c.code)).toEqual(['1303', '1202']);
  });

  it('vetoes a weak lexicon-only further class the model finds implausible, and adds one it is sure of', () => {
    const lexicon = { classes: [lexClass('1303', 0.85), lexClass('1202', 0.6)], requirement: false };
    const { classes: out, vetoed } = combineWithModel(lexicon, model, '剪辑 店铺 营销', names);
    expect(out.map((c) => c.code)).toEqual(['1303', '1208']);
    // The veto is explained: the class, the lexicon's evidence for it, and the model's probability.
    expect(vetoed.map((c) => c.code)).toEqual(['1202']);
    expect(vetoed[0]!.evidence).toEqual(lexicon.classes[1]!.evidence);
    expect(vetoed[0]!.modelProbability).toBeLessThan(0.03);
    const added = out[1]!;
    expect(added.evidence).toEqual([{ term: '店铺', weight: expect.any(Number), kind: 'model' }]);
    expect(added.confidence).toBeGreaterThan(0);
    expect(added.confidence).toBeLessThanOrEqual(1);
  });

  it('names no class from a model that is unsure and a lexicon that found nothing', () => {
    expect(combineWithModel({ classes: [], requirement: false }, model, '其他', names).classes).toEqual([]);
  });

  it('neither vetoes nor adds a class it was trained on too few real posts of: the lexicon stands there', () => {
    // Same weights, but 1202 seen in 2 labelled posts only (an engineering class in the job-site data).
    const unsure = createLinearModel(toy({ 剪辑: [2, 6], 店铺: [1, 6], 营销: [0, -4] }, [0, 0, 0], { '1202': 2, '1208': 2, '1303': 50 }));
    const lexicon = { classes: [lexClass('1303', 0.85), lexClass('1202', 0.6)], requirement: false };
    const { classes, vetoed } = combineWithModel(lexicon, unsure, '剪辑 店铺 营销', names);
    expect(classes.map((c) => c.code)).toEqual(['1303', '1202']);
    expect(vetoed).toEqual([]);
    expect(classes[1]!.evidence.some((e) => e.kind === 'model')).toBe(false);
  });
});

describe('the shipped model in classify', () => {
  let withModel: ReturnType<typeof createClassifier> | undefined;
  const classify = (text: string) => (withModel ??= createClassifier(loadCatalog(), ROUTING, createJiebaTokenizer([]), loadClassModel())).classify(text, NOW);
  it('is a compact file that lists what it was trained on', () => {
    expect(statSync(DEFAULT_MODEL_PATH).size).toBeLessThan(3 * 1024 * 1024);
    const m = loadClassModel()!;
    expect(m.classes.length).toBe(loadCatalog().classes.size);
    const rows = m.file.training.sources.filter((s) => s.ids);
    for (const s of rows) expect(s.ids!.length).toBe(s.rows);
  });

  it('shows its contribution as model evidence, with terms from the post', () => {
    const text = '招聘短视频剪辑师。负责抖音短视频的拍摄与后期剪辑，熟练使用剪映、PR、AE';
    const c = classify(text);
    expect(c.classes[0]!.code).toBe('1303');
    const terms = c.classes[0]!.evidence.filter((e) => e.kind === 'model').map((e) => e.term);
    expect(terms.length).toBeGreaterThan(0);
    for (const t of terms) expect(foldWidth(text)).toContain(t);
  });

  it('leaves a requirement naming majors alone', () => {
    expect(classify('南召县发展和改革委员会招录一级科员。专业要求：电子信息类。').classes.map((c) => c.code)).toEqual(['0807']);
  });

  it('keeps every model term in the post and at most four classes (property)', () => {
    const parts = ['招聘', '剪辑', '运营', '天猫店铺', '编辑', '校对', '会计', '嵌入式', '电气', '专业优先', '。', '，', '负责', '计算机'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...parts), { minLength: 1, maxLength: 20 }), fc.string({ maxLength: 20 }), (words, noise) => {
        const text = words.join('') + noise;
        const c = classify(text);
        expect(c.classes.length).toBeLessThanOrEqual(4);
        for (const k of c.classes) {
          expect(k.confidence).toBeGreaterThanOrEqual(0);
          expect(k.confidence).toBeLessThanOrEqual(1);
          for (const e of k.evidence) if (e.kind === 'model') expect(foldWidth(text)).toContain(e.term);
        }
      }),
      { numRuns: 300 },
    );
  });

  const evalFile = join(projectPath(), '../shared/eval/zhaopin-wuhan-2024.jsonl');
  it.skipIf(!existsSync(evalFile))('is what npm run train makes from its recorded sources, byte for byte', () => {
    const shipped = loadClassModel()!.file;
    const ids = new Set(shipped.training.sources.flatMap((s) => s.ids ?? []));
    const rows = readFileSync(evalFile, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as LabelledRow).filter((r) => ids.has(r.id));
    const { seed, epochs, l2, rate, prune } = shipped.training;
    const again = trainModel(trainingDocs(loadCatalog(), rows), shipped.classes, { seed, epochs, l2, rate, prune });
    // Compared as text: a deep diff of ~100k weights takes vitest minutes. A mismatch means the role terms,
    // catalog or rows changed without `npm run train`.
    const same = JSON.stringify([again.bias, again.weights]) === JSON.stringify([shipped.bias, shipped.weights]);
    expect(same, 'data/class-model.json is not what its sources train today: run npm run train').toBe(true);
  });

  it('folds keep near-duplicate ads together and are balanced', () => {
    const ad = '负责公司抖音账号的短视频拍摄与后期剪辑，熟练使用剪映和PR，有作品优先，五险一金双休';
    const texts = [`招聘剪辑师。${ad}`, `招聘视频剪辑。${ad}`, ...Array.from({ length: 18 }, (_, i) => `招聘岗位${i}。${'会计出纳文员销售司机厨师保安前台'.slice(i % 8, (i % 8) + 3)}${i * 7919}`)];
    const folds = groupedFolds(texts, 5, 14);
    expect(folds[0]).toBe(folds[1]);
    const sizes = [0, 1, 2, 3, 4].map((f) => folds.filter((x) => x === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(2);
    expect(groupedFolds(texts, 5, 14)).toEqual(folds);
  });
});
