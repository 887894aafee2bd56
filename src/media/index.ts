// Images and link cards → post text. Importing this loads no OCR engine, no sharp, no onnxruntime: the engine
// runs in its own process, started by the first image (ocr-service.ts).
export { checkImage, sniffImageType, DEFAULT_IMAGE_LIMITS, type ImageCheck, type ImageLimits, type ImageType, type RefusalReason } from './image-check.ts';
export { linkCardText, type LinkCard } from './link-card.ts';
export { OcrError, type OcrErrorCode } from './ocr-errors.ts';
export { createOcrService, type ImageMeta, type OcrResult, type OcrService, type OcrServiceOptions, type OcrStats } from './ocr-service.ts';
export { posterText, type OcrLine } from './poster-text.ts';
export { fetchImage, readLimited } from './read-limited.ts';
export { composeText, MediaIntake, type MediaIntakeOptions } from './intake.ts';
export { MediaQueue, type JobImage, type MediaJob } from './media-queue.ts';
export { mediaDir, saveMediaFile, sweepMediaFiles } from './media-files.ts';
export { ocrEngineInstalled, startMediaIntake, type MediaIntakeSetup, type RelayMedia } from './relay-media.ts';
