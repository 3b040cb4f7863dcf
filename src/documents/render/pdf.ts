// PDF pages to fax pages with PDFium (WASM, in process — run it inside the render worker). Each
// page is drawn straight into a page-sized grey buffer at the fax resolution (no oversized render
// and downscale), text and paths without anti-aliasing so they threshold crisply, images smoothed
// so they halftone well. Limits: page count before any drawing, WASM heap after every page.
import { PDFiumModule } from '@hyzyla/pdfium';
import { createBitmap, type FaxPage } from '../page.ts';
import { drawGray, type BitonalMode } from './bitonal.ts';
import {
  DocumentUnreadableError,
  PasswordProtectedError,
  RenderOutOfMemoryError,
  TooManyPagesError,
} from './errors.ts';
import { fitToPage, type PageGeometry, type RenderedPages } from './geometry.ts';

/** The slice of the PDFium C API we call (emscripten exports, pointers as numbers). */
interface Pdfium {
  readonly HEAPU8: Uint8Array;
  readonly wasmExports: { malloc(size: number): number; free(pointer: number): void };
  _FPDF_InitLibraryWithConfig(config: object): void;
  _FPDF_LoadMemDocument(data: number, size: number, password: number): number;
  _FPDF_GetLastError(): number;
  _FPDF_GetPageCount(document: number): number;
  _FPDF_LoadPage(document: number, index: number): number;
  _FPDF_GetPageWidth(page: number): number;
  _FPDF_GetPageHeight(page: number): number;
  _FPDF_ClosePage(page: number): void;
  _FPDF_CloseDocument(document: number): void;
  _FPDFBitmap_CreateEx(width: number, height: number, format: number, buffer: number, stride: number): number;
  _FPDFBitmap_FillRect(
    bitmap: number,
    left: number,
    top: number,
    width: number,
    height: number,
    color: number,
  ): void;
  _FPDFBitmap_Destroy(bitmap: number): void;
  _FPDF_RenderPageBitmap(
    bitmap: number,
    page: number,
    x: number,
    y: number,
    width: number,
    height: number,
    rotate: number,
    flags: number,
  ): void;
}

// fpdfview.h: error codes of FPDF_GetLastError and render flags.
const FPDF_ERR_FORMAT = 3;
const FPDF_ERR_PASSWORD = 4;
const FPDF_ERR_SECURITY = 5;
const FPDFBitmap_Gray = 1;
const FPDF_ANNOT = 0x01;
const FPDF_PRINTING = 0x800;
const FPDF_RENDER_NO_SMOOTHTEXT = 0x1000;
const FPDF_RENDER_NO_SMOOTHPATH = 0x4000;
// No FPDF_GRAYSCALE: drawing into a grey bitmap already turns colour into grey (within 2 of 255
// levels on photos, identical for vector art), and the flag's own conversion made photo pages
// 20 % slower.
const RENDER_FLAGS = FPDF_ANNOT | FPDF_PRINTING | FPDF_RENDER_NO_SMOOTHTEXT | FPDF_RENDER_NO_SMOOTHPATH;
const WHITE = 0xffffffff;
const ROTATE_CLOCKWISE = 1;

let pdfium: Promise<Pdfium> | undefined;

function loadPdfium(): Promise<Pdfium> {
  pdfium ??= (PDFiumModule({}) as Promise<unknown> as Promise<Pdfium>).then((module) => {
    module._FPDF_InitLibraryWithConfig({
      version: 2,
      m_pIsolate: null,
      m_pUserFontPaths: null,
      m_v8EmbedderSlot: 0,
      m_pPlatform: null,
    });
    return module;
  });
  return pdfium;
}

export interface PdfRenderOptions {
  readonly name: string;
  readonly geometry: PageGeometry;
  readonly mode: BitonalMode;
  readonly maxPages: number;
  readonly maxHeapBytes: number;
}

export async function renderPdf(bytes: Uint8Array, options: PdfRenderOptions): Promise<RenderedPages> {
  const m = await loadPdfium();
  const { name, geometry } = options;
  const input = m.wasmExports.malloc(bytes.length);
  if (input === 0) throw new RenderOutOfMemoryError(name, Math.round(options.maxHeapBytes / 2 ** 20));
  const gray = m.wasmExports.malloc(geometry.width * geometry.height);
  let document = 0;
  try {
    m.HEAPU8.set(bytes, input);
    document = m._FPDF_LoadMemDocument(input, bytes.length, 0);
    if (document === 0) throw loadError(name, m._FPDF_GetLastError());
    const count = m._FPDF_GetPageCount(document);
    if (count > options.maxPages) throw new TooManyPagesError(name, count, options.maxPages);
    if (count <= 0) throw new DocumentUnreadableError(name, 'it has no pages');
    const pages: FaxPage[] = [];
    const rotatedPages: number[] = [];
    for (let index = 0; index < count; index++) {
      const { page, rotated } = renderPage(m, document, gray, index, options);
      pages.push(page);
      if (rotated) rotatedPages.push(index + 1);
      if (m.HEAPU8.length > options.maxHeapBytes)
        throw new RenderOutOfMemoryError(name, Math.round(options.maxHeapBytes / 2 ** 20));
    }
    return { pages, rotatedPages };
  } finally {
    if (document !== 0) m._FPDF_CloseDocument(document);
    m.wasmExports.free(gray);
    m.wasmExports.free(input);
  }
}

function renderPage(
  m: Pdfium,
  document: number,
  gray: number,
  index: number,
  options: PdfRenderOptions,
): { page: FaxPage; rotated: boolean } {
  const { geometry, name } = options;
  const page = m._FPDF_LoadPage(document, index);
  if (page === 0) throw new DocumentUnreadableError(name, 'PDFium could not load it', index + 1);
  const bitmap = m._FPDFBitmap_CreateEx(
    geometry.width,
    geometry.height,
    FPDFBitmap_Gray,
    gray,
    geometry.width,
  );
  try {
    const widthPt = m._FPDF_GetPageWidth(page);
    const heightPt = m._FPDF_GetPageHeight(page);
    if (!(widthPt > 0 && heightPt > 0)) throw new DocumentUnreadableError(name, 'it has no size', index + 1);
    const place = fitToPage(geometry, widthPt / 72, heightPt / 72, { marginIn: 0, verticalAlign: 'center' });
    m._FPDFBitmap_FillRect(bitmap, 0, 0, geometry.width, geometry.height, WHITE);
    m._FPDF_RenderPageBitmap(
      bitmap,
      page,
      place.x,
      place.y,
      place.width,
      place.height,
      place.rotate ? ROTATE_CLOCKWISE : 0,
      RENDER_FLAGS,
    );
    const out = createBitmap(geometry.width, geometry.height);
    // A view into the WASM heap, read before anything else can grow (and so detach) it.
    const pixels = m.HEAPU8.subarray(gray, gray + geometry.width * geometry.height);
    drawGray(
      out,
      { width: geometry.width, height: geometry.height, stride: geometry.width, data: pixels },
      0,
      0,
      options.mode,
    );
    return { page: { ...out, resolution: geometry.resolution }, rotated: place.rotate };
  } finally {
    m._FPDFBitmap_Destroy(bitmap);
    m._FPDF_ClosePage(page);
  }
}

function loadError(name: string, code: number): Error {
  if (code === FPDF_ERR_PASSWORD) return new PasswordProtectedError(name);
  if (code === FPDF_ERR_SECURITY)
    return new DocumentUnreadableError(name, 'it is encrypted with a scheme we cannot open');
  if (code === FPDF_ERR_FORMAT) return new DocumentUnreadableError(name, 'it is not a valid PDF');
  return new DocumentUnreadableError(name, `PDFium error ${code}`);
}
