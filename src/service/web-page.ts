/** The web page at `/` (placeholder, filled in below). */
export const WEB_PAGE_FILES: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: '<!doctype html><title>segmenta</title>' },
};
