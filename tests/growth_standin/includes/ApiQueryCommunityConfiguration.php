<?php

namespace GrowthStandin;

use MediaWiki\Api\ApiQuery;
use MediaWiki\Api\ApiQueryBase;
use MediaWiki\Content\JsonContent;
use MediaWiki\MediaWikiServices;
use MediaWiki\Revision\RevisionRecord;
use MediaWiki\Revision\SlotRecord;
use MediaWiki\Title\Title;
use stdClass;
use Wikimedia\ParamValidator\ParamValidator;

/**
 * meta=communityconfiguration&ccrprovider=Mentorship (read-only; the only provider here).
 *
 * Response at the top level: {"communityconfiguration": {"data": {...}, "version": "..."}}.
 * data = the defaults overridden (recursively for objects) by MediaWiki:GrowthExperimentsMentorship.json,
 * type-checked. "version" is present only when the page carries a "$version" key, which is not
 * part of data. As in CommunityConfiguration, ccrassertversion must equal that version (both
 * absent counts as equal), otherwise: communityconfiguration-version-assertion-failure.
 */
class ApiQueryCommunityConfiguration extends ApiQueryBase {

	public function __construct( ApiQuery $queryModule, string $moduleName ) {
		parent::__construct( $queryModule, $moduleName, 'ccr' );
	}

	/** @inheritDoc */
	public function execute() {
		$params = $this->extractRequestParams();
		$title = Title::makeTitle( NS_MEDIAWIKI, MentorshipConfig::PAGE_NAME );

		$stored = new stdClass;
		$revision = MediaWikiServices::getInstance()->getRevisionLookup()->getRevisionByTitle( $title );
		if ( $revision ) {
			$content = $revision->getContent( SlotRecord::MAIN, RevisionRecord::FOR_PUBLIC );
			$decoded = $content instanceof JsonContent ? json_decode( $content->getText() ) : null;
			if ( !$decoded instanceof stdClass ) {
				$this->dieWithError( 'growthstandin-config-not-json' );
			}
			$stored = $decoded;
		}

		$version = isset( $stored->{MentorshipConfig::VERSION_KEY} )
			? (string)$stored->{MentorshipConfig::VERSION_KEY} : null;
		unset( $stored->{MentorshipConfig::VERSION_KEY} );

		$data = MentorshipConfig::merge( MentorshipConfig::defaults(), $stored );
		$status = MentorshipConfig::validate( $data );
		if ( !$status->isOK() ) {
			$this->dieStatus( $status );
		}

		if ( $version !== $params['assertversion'] ) {
			$this->dieWithError( [
				'apierror-communityconfiguration-version-assertion-failure',
				$version,
				$params['assertversion'],
			] );
		}

		$result = [ 'data' => $data ];
		if ( $version ) {
			$result['version'] = $version;
		}
		$this->getResult()->addValue( null, $this->getModuleName(), $result );
	}

	/** @inheritDoc */
	protected function getAllowedParams() {
		return [
			'provider' => [
				ParamValidator::PARAM_TYPE => [ 'Mentorship' ],
				ParamValidator::PARAM_REQUIRED => true,
			],
			'assertversion' => [
				ParamValidator::PARAM_TYPE => 'string',
			],
		];
	}
}
