"""Welcome cards on screen: a PDF preview, the print path, and the card dialog.

Printing choice: where CUPS is present (Linux, macOS), `print_pdf` hands the card PDF
itself to CUPS (`vipdesk.printing.cups`): vector, fonts embedded, card-sized media, a
job id as proof of acceptance. Only without CUPS (Windows) does it go through Qt:
QtPdf renders each page at 600 dpi into the QPrinter's QPainter — `begin()` and
`end()` are checked, because a QPrinter with no printer silently writes nowhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSettings, QSize, QSizeF, Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vipdesk.desk.cards import CardPrintError, CardService, IssuedCard, write_pdf
from vipdesk.printing import cups
from vipdesk.printing.cups import PrintResult
from vipdesk.printing.render import CardPdf
from vipdesk.services.auth import Actor
from vipdesk.ui.i18n import current, t
from vipdesk.ui.messages import error_text
from vipdesk.ui.names import CARD_FIELDS

PRINT_DPI = 600
CARD_MM = (90, 54)
PREVIEW_SHARE = 0.6  # of the height there is: the rest is for the form and the buttons
SETTINGS_PRINTER = "cards/printer"
RunInBackground = Callable[[Callable[[], Any], Callable[[Any], None],
                            Callable[[BaseException], None]], None]


# -- preview ------------------------------------------------------------------------------

class CardPreview(QWidget):
    """Shows a PDF (bytes or a file) fitted to the widget, one page at a time."""

    sig_loaded = Signal(int)  # page count; 0 = the PDF could not be read

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.SinglePage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitInView)
        self.view.setMinimumSize(360, 230)
        for policy in (self.view.setVerticalScrollBarPolicy,
                       self.view.setHorizontalScrollBarPolicy):  # one page, fitted
            policy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._buffer: QBuffer | None = None  # must outlive the document's use of it
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)

    def show_pdf(self, pdf: bytes | str | Path) -> bool:
        """Bytes from a worker, or a (small, local) file. False if it is not a PDF."""
        self.document.close()
        if isinstance(pdf, bytes):
            buffer = QBuffer(self)
            buffer.setData(QByteArray(pdf))
            buffer.open(QIODevice.OpenModeFlag.ReadOnly)
            self.document.load(buffer)
            if self._buffer is not None:
                self._buffer.deleteLater()
            self._buffer = buffer
        else:
            self.document.load(str(pdf))
        ok = self.document.status() == QPdfDocument.Status.Ready
        self.sig_loaded.emit(self.document.pageCount() if ok else 0)
        return ok

    def page_count(self) -> int:
        return self.document.pageCount()

    def render_page(self, width_px: int, page: int = 0) -> QImage:
        """The page as the preview draws it, `width_px` wide (tests and thumbnails)."""
        points = self.document.pagePointSize(page)
        height = round(width_px * points.height() / points.width()) if points.width() else 0
        return self.document.render(page, QSize(width_px, height))


def preview_size(available_height: int) -> QSize:
    """A card-shaped preview as tall as the screen allows: at 1366 × 768 the card shows
    about 1.6 times its printed size, names and numbers read from the desk chair."""
    height = round(available_height * PREVIEW_SHARE)
    return QSize(round(height * CARD_MM[0] / CARD_MM[1]), height)


def available_height(parent: QWidget | None) -> int:
    """The height the dialog may take: its window's (maximised on the desk), else the
    screen's."""
    if parent is not None:
        return parent.window().height()
    screen = QGuiApplication.primaryScreen()
    return screen.availableGeometry().height() if screen is not None else 738


# -- printing -----------------------------------------------------------------------------

def print_pdf(pdf_path: Path, printer_name: str | None = None,
              size_mm: tuple[float, float] = (90, 54), title: str = "vipdesk card") -> PrintResult:
    """Print a card PDF; the result says whether the job was accepted (never raises for
    printer trouble). Safe on a worker thread."""
    if cups.scheduler_running():
        return cups.submit(Path(pdf_path), printer_name, media_mm=size_mm, title=title)
    return qt_print_pdf(Path(pdf_path), printer_name, size_mm, title)


def _qt_printer(name: str | None, size_mm: tuple[float, float], title: str) -> QPrinter | str:
    known = QPrinterInfo.availablePrinterNames()
    chosen = name or QPrinterInfo.defaultPrinterName()
    if not chosen or chosen not in known:
        return (f"Printer “{chosen}” does not exist." if chosen else
                "No printer is installed on this computer.")
    printer = QPrinter(QPrinterInfo.printerInfo(chosen), QPrinter.PrinterMode.HighResolution)
    printer.setDocName(title)
    printer.setFullPage(True)
    printer.setResolution(PRINT_DPI)
    printer.setPageSize(QPageSize(QSizeF(*size_mm), QPageSize.Unit.Millimeter, title))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    return printer


def qt_print_pdf(pdf_path: Path, printer_name: str | None, size_mm: tuple[float, float],
                 title: str) -> PrintResult:
    """Through Qt's print support: each page rasterised at PRINT_DPI by QtPdf."""
    printer = _qt_printer(printer_name, size_mm, title)
    if isinstance(printer, str):
        return PrintResult(False, printer_name or "", message=printer + " Save the PDF instead.")
    name = printer.printerName()
    document = QPdfDocument()
    if document.load(str(pdf_path)) != QPdfDocument.Error.None_ or document.pageCount() < 1:
        return PrintResult(False, name, message=f"The card PDF could not be read: {pdf_path}")
    painter = QPainter()
    if not painter.begin(printer):  # no printer / not writable: Qt would print nowhere
        return PrintResult(False, name, message=f"Printer “{name}” could not be opened.")
    target = printer.pageLayout().fullRectPixels(printer.resolution())
    for page in range(document.pageCount()):
        if page:
            printer.newPage()
        painter.drawImage(target, document.render(page, target.size()))
    if not painter.end() or printer.printerState() == QPrinter.PrinterState.Error:
        return PrintResult(False, name, message=f"Printer “{name}” did not accept the card.")
    return PrintResult(True, name, None, f"Sent to {name}.")


def list_printers() -> list[str]:
    """Printer names, default first (worker thread: asks CUPS or the OS)."""
    if cups.scheduler_running():
        return cups.list_printers()
    default = QPrinterInfo.defaultPrinterName()
    return sorted(QPrinterInfo.availablePrinterNames(), key=lambda n: (n != default, n))


# -- the dialog ---------------------------------------------------------------------------

class CardDialog(QDialog):
    """Preview a member's welcome card, print it (the printer is remembered per desk)
    or save it as PDF. Service work goes through `run_in_background`; issuing the card
    (a printed card is logged as a care contact) through `record`, the write lane."""

    sig_issued = Signal(object)  # IssuedCard, after the print job was accepted

    def __init__(self, member_id: uuid.UUID, service: CardService, actor: Actor,
                 run_in_background: RunInBackground, settings: QSettings | None = None,
                 parent: QWidget | None = None, record: RunInBackground | None = None) -> None:
        super().__init__(parent)
        self.member_id = member_id
        self.service = service
        self.actor = actor
        self.lang = current()  # read here: the worker asks for template names in it
        self.run = run_in_background
        self.record = record or run_in_background
        self.settings = settings or QSettings("vipdesk", "desk")
        self.card: CardPdf | None = None
        self._generation = 0  # results of superseded requests are dropped
        self.setWindowTitle(self.tr("Welcome card"))
        self._build()
        self.preview.setMinimumSize(preview_size(available_height(parent)))
        self._set_busy(True, self.tr("Preparing the card…"))
        self.run(self._load_all, self._on_loaded, self._on_error)

    def _build(self) -> None:
        self.preview = CardPreview(self)
        self.template_box = QComboBox(self)
        self.printer_box = QComboBox(self)
        self.printer_box.setEditable(False)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setObjectName("cardStatus")
        self.print_button = QPushButton(self.tr("Print"), self)
        self.save_button = QPushButton(self.tr("Save PDF…"), self)
        close = QPushButton(self.tr("Close"), self)
        form = QFormLayout()
        form.addRow(self.tr("Template"), self.template_box)
        form.addRow(self.tr("Printer"), self.printer_box)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.print_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.preview, 1)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.print_button.setDefault(True)
        self.print_button.clicked.connect(self.print_card)
        self.save_button.clicked.connect(self._ask_save)
        close.clicked.connect(self.reject)
        self.template_box.activated.connect(self._template_chosen)

    # worker side: no widgets touched here
    def _load_all(self) -> tuple[list[tuple[str, str]], CardPdf, list[str] | BaseException]:
        try:
            printers: list[str] | BaseException = list_printers()
        except cups.CupsError as exc:
            printers = exc
        return (self.service.templates(self.lang), self.service.render(self.member_id),
                printers)

    def _alive(self, generation: int | None = None) -> bool:
        return shiboken6.isValid(self) and (generation is None or generation == self._generation)

    def _on_loaded(self, value: tuple[list[tuple[str, str]], CardPdf, Any]) -> None:
        if not self._alive():
            return
        templates, card, printers = value
        for name, label in templates:
            self.template_box.addItem(label or name, name)
        self._show_card(card)
        self._fill_printers(printers)  # after: a print-service problem stays on screen

    def _fill_printers(self, printers: list[str] | BaseException) -> None:
        if isinstance(printers, BaseException):
            self._say(error_text(printers), error=True)
            return
        self.printer_box.addItems(printers)
        remembered = str(self.settings.value(SETTINGS_PRINTER, "") or "")
        if remembered in printers:
            self.printer_box.setCurrentText(remembered)

    def _show_card(self, card: CardPdf) -> None:
        self.card = card
        index = self.template_box.findData(card.template)
        if index >= 0:
            self.template_box.setCurrentIndex(index)
        self.preview.show_pdf(card.pdf)
        self._set_busy(False, self._card_notes(card))

    def _card_notes(self, card: CardPdf) -> str:
        notes = []
        if card.missing_glyphs:
            chars = " ".join(sorted(card.missing_glyphs))
            notes.append(self.tr("No installed font has {chars}: printed as 〓.").format(
                chars=chars))
        if card.truncated:
            notes.append(self.tr("Shortened to fit: {fields}.").format(
                fields=t(", ").join(t(CARD_FIELDS.get(f, f)) for f in card.truncated)))
        return " ".join(notes)

    def _template_chosen(self, index: int) -> None:
        name = self.template_box.itemData(index)
        self._generation += 1
        generation = self._generation
        self._set_busy(True, self.tr("Preparing the card…"))
        self.run(lambda: self.service.render(self.member_id, name),
                 lambda card: self._on_rendered(card, generation), self._on_error)

    def _on_rendered(self, card: CardPdf, generation: int) -> None:
        if self._alive(generation):
            self._show_card(card)

    def print_card(self) -> None:
        printer = self.printer_box.currentText() or None
        card, template = self.card, self.template_box.currentData()
        self._set_busy(True, self.tr("Printing on {printer}…").format(
            printer=printer or self.tr("the default printer")))
        self.record(lambda: self.service.issue(self.actor, self.member_id, printer, template, card),
                 self._on_printed, self._on_print_failed)

    def _on_printed(self, issued: IssuedCard) -> None:
        if not self._alive():
            return
        self.settings.setValue(SETTINGS_PRINTER, issued.printer)
        job = f" ({issued.job_id})" if issued.job_id else ""
        self._set_busy(False, self.tr("Printed on {printer}{job}. Logged as a welcome card.")
                       .format(printer=issued.printer, job=job))
        self.print_button.setText(self.tr("Print again"))
        self.sig_issued.emit(issued)

    def _on_print_failed(self, error: BaseException) -> None:
        if not self._alive():
            return
        self.print_button.setText(self.tr("Retry"))
        message = error_text(error) if isinstance(error, CardPrintError) else self.tr(
            "Printing failed: {error}").format(error=error_text(error))
        self._set_busy(False, message + " " + self.tr("Nothing was logged."), error=True)

    def _ask_save(self) -> None:
        default = f"{self.card.data.member_no if self.card and self.card.data else 'card'}.pdf"
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save card as PDF"), default,
                                              "PDF (*.pdf)")
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        card = self.card
        if card is None:
            return
        self._set_busy(True, self.tr("Saving…"))
        self.run(lambda: write_pdf(card, path), self._on_saved, self._on_error)

    def _on_saved(self, path: Path) -> None:
        if self._alive():
            self._set_busy(False, self.tr("Saved {path}.").format(path=path))

    def _on_error(self, error: BaseException) -> None:
        if self._alive():
            self._set_busy(False, error_text(error), error=True)

    def _set_busy(self, busy: bool, message: str = "", error: bool = False) -> None:
        ready = not busy and self.card is not None
        self.print_button.setEnabled(ready)
        self.save_button.setEnabled(ready)
        self.template_box.setEnabled(not busy)
        self._say(message, error)

    def _say(self, message: str, error: bool = False) -> None:
        self.status.setText(message)
        self.status.setProperty("error", error)
        self.status.setStyleSheet("color: #b3261e;" if error else "")
