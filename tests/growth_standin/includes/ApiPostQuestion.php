<?php

namespace GrowthStandin;

use MediaWiki\Api\ApiBase;
use MediaWiki\Api\ApiMain;
use MediaWiki\CommentStore\CommentStoreComment;
use MediaWiki\Content\TextContent;
use MediaWiki\Content\WikitextContent;
use MediaWiki\MediaWikiServices;
use MediaWiki\Permissions\PermissionStatus;
use MediaWiki\Revision\SlotRecord;
use MediaWiki\Title\Title;
use Wikimedia\ParamValidator\ParamValidator;

/**
 * action=helppanelquestionposter, the mentor sources only: a mentee's question posted as a new
 * section of their mentor's talk page (the backup mentor's while the primary is away), tagged
 * as GrowthExperiments tags it. Those tags are defined by the extension, so nobody can add
 * them by hand to an edit. GE puts the section on top of the page; the stand-in appends it,
 * which no reader of the tag or of the section's summary can tell apart.
 */
class ApiPostQuestion extends ApiBase {

	public const SOURCE_TAGS = [
		'mentor-homepage' => 'mentorship module question',
		'mentor-helppanel' => 'mentorship panel question',
	];

	public function __construct( ApiMain $mainModule, string $moduleName ) {
		parent::__construct( $mainModule, $moduleName );
	}

	/** @inheritDoc */
	public function execute() {
		$params = $this->extractRequestParams();
		$mentee = $this->getUser();
		$isFirstEdit = $mentee->getEditCount() === 0;
		$mentor = Mentorship::getPrimaryMentor( $mentee );
		if ( $mentor && Mentorship::isAway( $mentor ) ) {
			$backupId = MentorStore::getMentorId( $mentee, MentorStore::ROLE_BACKUP );
			$mentor = $backupId !== null
				? MediaWikiServices::getInstance()->getUserIdentityLookup()->getUserIdentityByUserId( $backupId )
				: $mentor;
		}
		if ( !$mentor ) {
			$this->dieWithError( 'growthstandin-no-mentor' );
		}
		$title = Title::makeTitle( NS_USER_TALK, $mentor->getName() );
		$status = PermissionStatus::newEmpty();
		if ( !$this->getAuthority()->authorizeWrite( 'edit', $title, $status ) ) {
			$this->dieStatus( $status );
		}

		$header = $this->msg( 'growthexperiments-homepage-mentorship-question-subject' )
			->plaintextParams( $mentee->getName() )->inContentLanguage()->text() .
			' (' . $this->getLanguage()->userTimeAndDate( wfTimestampNow(), $mentee ) . ')';
		$services = MediaWikiServices::getInstance();
		$page = $services->getWikiPageFactory()->newFromTitle( $title );
		$existing = $page->getContent();
		$before = $existing instanceof TextContent ? rtrim( $existing->getText() ) . "\n\n" : '';
		$updater = $page->newPageUpdater( $mentee );
		$updater->setContent( SlotRecord::MAIN,
			new WikitextContent( $before . "== $header ==\n\n" . $params['body'] . ' --~~~~' ) );
		$updater->addTag( self::SOURCE_TAGS[$params['source']] );
		$summary = $this->msg( 'newsectionsummary' )->params(
			$services->getParserFactory()->create()->stripSectionName( $header ) )->inContentLanguage()->text();
		$revision = $updater->saveRevision( CommentStoreComment::newUnsavedComment( $summary ) );
		if ( !$updater->getStatus()->isOK() || !$revision ) {
			$this->dieStatus( $updater->getStatus() );
		}
		$this->getResult()->addValue( null, $this->getModuleName(), [
			'result' => 'success',
			'revision' => $revision->getId(),
			'isfirstedit' => (int)$isFirstEdit,
			'viewquestionurl' => $title->getFullURL() . '#' . rawurlencode( str_replace( ' ', '_', $header ) ),
			'source' => $params['source'],
		] );
	}

	/** @inheritDoc */
	public function isWriteMode() {
		return true;
	}

	/** @inheritDoc */
	public function mustBePosted() {
		return true;
	}

	/** @inheritDoc */
	public function needsToken() {
		return 'csrf';
	}

	/** @inheritDoc */
	protected function getAllowedParams() {
		return [
			'body' => [
				ParamValidator::PARAM_REQUIRED => true,
				ParamValidator::PARAM_TYPE => 'string',
			],
			'source' => [
				ParamValidator::PARAM_REQUIRED => true,
				ParamValidator::PARAM_TYPE => array_keys( self::SOURCE_TAGS ),
			],
			'relevanttitle' => [
				ParamValidator::PARAM_TYPE => 'string',
			],
		];
	}
}
